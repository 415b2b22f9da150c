package nats

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	gonats "github.com/nats-io/nats.go"

	"github.com/postbox-ipc/postbox/driver"
)

// sender is one remote sender's queue at an endpoint: a Source of the
// loop, an overflow for what arrives while the queue is full, and the
// credit owed to it. A Postbox sender never has more messages outstanding
// than its window, so the overflow stays empty; others may spill into it,
// up to one more queue's worth, beyond which messages are refused.
type sender struct {
	l     *listener
	id    string
	inbox string // "" for plain NATS clients
	src   *driver.Source

	mu       sync.Mutex
	overflow []*driver.Request
	credit   int   // Posts handled or refused, not yet reported
	bytes    int64 // their payload bytes
	refusals int   // of those, refused
	code     int   // the error code of the first refusal
	last     time.Time
}

var _ driver.Responder = (*sender)(nil)

func (s *sender) touch() {
	s.mu.Lock()
	s.last = time.Now()
	s.mu.Unlock()
}

// idle reports whether the sender left nothing behind for a while.
func (s *sender) idle(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.overflow) == 0 && s.credit == 0 && now.Sub(s.last) > idleSender && !s.src.Busy()
}

// deliver queues r behind anything already overflowing, running it inline
// (when allowed) if the endpoint is idle.
func (s *sender) deliver(r *driver.Request, inline bool) {
	s.mu.Lock()
	if len(s.overflow) > 0 {
		ok := s.spill(r)
		s.mu.Unlock()
		if !ok {
			s.refuse(r, s.full())
		}
		return
	}
	s.mu.Unlock()
	switch err := s.src.Deliver(r, inline); err {
	case nil:
	case driver.ErrQueueFull:
		s.mu.Lock()
		ok := s.spill(r)
		s.mu.Unlock()
		if !ok {
			s.refuse(r, s.full())
		}
		s.drain() // the queue may have emptied meanwhile
	default:
		s.refuse(r, err)
	}
}

func (s *sender) full() error {
	return fmt.Errorf("%w: %s's queue is full", driver.ErrQueueFull, s.l.name)
}

// spill appends r to the overflow unless that is full too. s.mu is held.
func (s *sender) spill(r *driver.Request) bool {
	if len(s.overflow) >= s.l.window {
		return false
	}
	s.overflow = append(s.overflow, r)
	return true
}

// drain moves overflowing requests into the queue while it has room.
func (s *sender) drain() {
	var refused []*driver.Request
	var errs []error
	s.mu.Lock()
	for len(s.overflow) > 0 {
		r := s.overflow[0]
		err := s.src.Deliver(r, false)
		if err == driver.ErrQueueFull {
			break
		}
		s.overflow[0] = nil
		s.overflow = s.overflow[1:]
		if err != nil {
			refused, errs = append(refused, r), append(errs, err)
		}
	}
	s.mu.Unlock()
	for i, r := range refused {
		s.refuse(r, errs[i])
	}
}

// refuse answers a request the loop never took.
func (s *sender) refuse(r *driver.Request, err error) {
	m := r.Aux.(*gonats.Msg)
	if r.IsSend() {
		s.l.untrack(m.Reply)
	}
	s.l.refuse(s, s.inbox, m, r.IsSend(), err)
	driver.Free(r)
}

// Respond implements driver.Responder.
func (s *sender) Respond(r *driver.Request, rep driver.Reply, err error) {
	m := r.Aux.(*gonats.Msg)
	if r.IsSend() {
		s.l.untrack(m.Reply)
		s.l.reply(m, rep, err, m.Subject == s.l.t.allSubject())
	} else if s.inbox != "" {
		s.handled(r.Size)
	}
	driver.Free(r)
	s.drain()
}

// Begin implements driver.Responder: r runs inline in the instance
// subject's reader, which hands reading on if the handler runs long.
func (s *sender) Begin(r *driver.Request, _ time.Duration) { s.l.begin(r) }

// Watch implements driver.Responder: a handler running inline wants its
// context watched, so another goroutine takes over reading.
func (s *sender) Watch(r *driver.Request) { s.l.takeOver(s.l.cur.Load(), r) }

// handled counts a handled Post, and returns credit in batches: when a
// quarter of the window is due, or the queue ran empty.
func (s *sender) handled(size int) {
	s.mu.Lock()
	s.credit++
	s.bytes += int64(size)
	due := s.credit >= max(s.l.window/4, 1) || s.bytes >= s.l.winB/4 || !s.src.Busy()
	s.mu.Unlock()
	if due {
		s.sendCredit(false)
	}
}

// refused counts a Post refused for err, and tells the sender at once.
func (s *sender) refused(err error, size int) {
	s.mu.Lock()
	s.credit++
	s.bytes += int64(size)
	s.refusals++
	if s.code == 0 {
		s.code = int(driver.CodeOf(err))
	}
	s.mu.Unlock()
	s.sendCredit(false)
}

// heartbeat tells a sender with work in progress that this instance lives.
func (s *sender) heartbeat() {
	if s.inbox == "" {
		return
	}
	s.mu.Lock()
	busy := len(s.overflow) > 0 || s.credit > 0 || s.src.Busy()
	s.mu.Unlock()
	if busy {
		s.sendCredit(true)
	}
}

// sendCredit reports the credit due, if any (or anyway, as a heartbeat).
func (s *sender) sendCredit(always bool) {
	s.mu.Lock()
	n, bytes, refused, code := s.credit, s.bytes, s.refusals, s.code
	s.credit, s.bytes, s.refusals, s.code = 0, 0, 0, 0
	s.mu.Unlock()
	if n == 0 && !always {
		return
	}
	h := gonats.Header{HeaderCredit: {strconv.Itoa(n)}, HeaderBytes: {strconv.FormatInt(bytes, 10)}}
	if refused > 0 {
		h[HeaderRefused] = []string{strconv.Itoa(refused)}
		h[HeaderError] = []string{strconv.Itoa(code)}
	}
	// The reply subject is never answered by the sender: if its inbox is
	// gone, the server says so there (onGone).
	s.l.publish(&gonats.Msg{Subject: s.inbox + ".c", Reply: s.l.gone + "." + s.inbox, Header: h})
}

// close refuses what still overflows and detaches the queue with cause.
func (s *sender) close(cause error) {
	s.mu.Lock()
	over := s.overflow
	s.overflow = nil
	s.mu.Unlock()
	for _, r := range over {
		s.refuse(r, cause)
	}
	s.src.Detach(cause)
}
