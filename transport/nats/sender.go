package nats

import (
	"fmt"
	"sync"
	"time"

	gonats "github.com/nats-io/nats.go"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/driver"
)

// sender is one remote sender's queue at an endpoint: a Source of the
// loop, plus an overflow for what arrives while the queue is full. A
// Postbox sender never has more messages unacknowledged than one queue
// holds, so the overflow stays bounded; what exceeds it is refused.
type sender struct {
	l   *listener
	id  string
	src *driver.Source

	mu       sync.Mutex
	overflow []*driver.Request
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
	return len(s.overflow) == 0 && now.Sub(s.last) > idleSender && !s.src.Busy()
}

// deliver queues r behind anything already overflowing, running it inline
// when the endpoint is idle.
func (s *sender) deliver(r *driver.Request) {
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
	m := r.Aux.(*gonats.Msg)
	ackPost := !r.IsSend() && m.Reply != ""
	switch err := s.src.Deliver(r, true); err {
	case nil:
		if ackPost {
			s.l.ack(m)
		}
	case postbox.ErrQueueFull:
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
	return fmt.Errorf("%w: %s's queue and overflow are full", postbox.ErrQueueFull, s.l.name)
}

// spill appends r to the overflow unless that is full too. s.mu is held.
func (s *sender) spill(r *driver.Request) bool {
	if len(s.overflow) >= s.l.cfg.QueueLenOr() {
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
		m := r.Aux.(*gonats.Msg)
		ackPost := !r.IsSend() && m.Reply != ""
		err := s.src.Deliver(r, false)
		if err == postbox.ErrQueueFull {
			break
		}
		s.overflow[0] = nil
		s.overflow = s.overflow[1:]
		if err != nil {
			refused, errs = append(refused, r), append(errs, err)
		} else if ackPost {
			s.l.ack(m)
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
	if m.Reply != "" {
		s.l.replyErr(m, err, m.Subject == s.l.t.allSubject())
	} else {
		s.l.log.Warn("postbox: nats: dropped a plain publish", "endpoint", s.l.name, "err", err)
	}
	driver.Free(r)
}

// Respond implements driver.Responder.
func (s *sender) Respond(r *driver.Request, rep postbox.Reply, err error) {
	m := r.Aux.(*gonats.Msg)
	if r.IsSend() {
		s.l.untrack(m.Reply)
		s.l.reply(m, rep, err, m.Subject == s.l.t.allSubject())
	}
	driver.Free(r)
	s.drain()
}

// Watch implements driver.Responder: a handler running inline wants its
// context watched, so another goroutine takes over reading.
func (s *sender) Watch(*driver.Request) { s.l.takeOver() }

// close refuses what still overflows and detaches the queue.
func (s *sender) close() {
	s.mu.Lock()
	over := s.overflow
	s.overflow = nil
	s.mu.Unlock()
	for _, r := range over {
		s.refuse(r, postbox.ErrClosed)
	}
	s.src.Detach(postbox.ErrClosed)
}
