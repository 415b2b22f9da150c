package dispatch

import (
	"context"
	"fmt"
	"time"

	"github.com/postbox-ipc/postbox/internal/stats"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// Source is one connection's queue in a Loop.
type Source struct {
	loop *Loop
	resp Responder
	peer transport.Peer
	cap  int

	// Guarded by loop.mu.
	q        []*Request // ring buffer
	head     int
	qlen     int
	qbytes   int64    // Size of the queued requests
	capBytes int64    // bound on qbytes; 0 for none
	cur      *Request // being handled
	inReady  bool
	next     *Source // ready list link
	detached bool
	space    chan struct{} // signalled when a queued request leaves
	gone     chan struct{} // closed by Detach
	peak     int           // the longest the queue has been
	retired  bool          // counted into the loop's totals and forgotten
	lastEnd  time.Duration // when the last run ended, if it ran inline; 0 otherwise

	id    uint64
	since time.Time
	ctr   stats.Local // guarded by loop.mu
	hold  holding     // bytes its transport holds; see budget.go
}

// Attach adds a source whose queue holds at most queueCap requests (0 means
// 10,000). Every request delivered to it carries peer as Msg.From.
func (l *Loop) Attach(peer transport.Peer, resp Responder, queueCap int) *Source {
	if queueCap <= 0 {
		queueCap = 10000
	}
	s := &Source{loop: l, resp: resp, peer: peer, cap: queueCap, space: make(chan struct{}, 1), gone: make(chan struct{}), since: time.Now()}
	l.mu.Lock()
	l.nextID++
	s.id = l.nextID
	l.sources[s] = struct{}{}
	l.mu.Unlock()
	if l.cfg.OnAttach != nil {
		l.cfg.OnAttach(s)
	}
	return s
}

// SetByteLimit bounds the total Size of the requests queued (not yet
// running) to n bytes; a request that would pass it is refused with
// ErrQueueFull. Zero, the default, means no bound. Transports that bound
// bytes through their own credit need not set it.
func (s *Source) SetByteLimit(n int64) {
	s.loop.mu.Lock()
	s.capBytes = n
	s.loop.mu.Unlock()
}

// Peer returns the peer this source was attached with.
func (s *Source) Peer() transport.Peer { return s.peer }

// Deliver queues r without blocking. With inline set and the loop idle for
// this source, r is handled in the calling goroutine before Deliver returns.
// It fails with ErrQueueFull when the queue is full, and ErrClosed once the
// source is detached or the loop closed; then r still belongs to the caller.
func (s *Source) Deliver(r *Request, inline bool) error {
	if transport.Reserved(r.Msg.ID) {
		return s.control(r)
	}
	l := s.loop
	l.mu.Lock()
	if err := s.refuse(); err != nil {
		if err == transport.ErrDraining {
			s.ctr.Error(stats.KindRefused)
		}
		l.mu.Unlock()
		return err
	}
	r.src = s
	r.Msg.From = s.peer
	if inline && s.qlen == 0 && s.cur == nil && l.running < l.conc {
		r.inline = true
		s.cur = r
		l.running++
		s.ctr.Received(r.Seq != 0, r.Size)
		start := s.lastEnd // every run sets it, so it is the end of the one just before
		l.mu.Unlock()
		if !r.Buffered || start == 0 {
			start = stats.Now()
		}
		s.resp.Begin(r, start)
		l.run(r, nil, start)
		return nil
	}
	if s.qlen >= s.cap || s.capBytes > 0 && s.qbytes+int64(r.Size) > s.capBytes {
		l.mu.Unlock()
		return transport.ErrQueueFull
	}
	s.push(r)
	s.ctr.Received(r.Seq != 0, r.Size)
	l.mu.Unlock()
	return nil
}

// DeliverWait is Deliver without inline handling that waits for queue space
// until ctx ends, the source is detached or the loop closes.
func (s *Source) DeliverWait(ctx context.Context, r *Request) error {
	for {
		err := s.Deliver(r, false)
		if err != transport.ErrQueueFull {
			return err
		}
		select {
		case <-s.space:
		case <-s.gone:
		case <-s.loop.base.Done():
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", transport.ErrQueueFull, transport.CtxErr(ctx))
		}
	}
}

func (s *Source) refuse() error {
	if s.detached || s.loop.closed {
		return transport.ErrClosed
	}
	if s.loop.draining {
		return transport.ErrDraining
	}
	return nil
}

// Cancel tells the handler of Send seq that its sender gave up: a running
// handler's context is cancelled with cause; a queued one will not run.
func (s *Source) Cancel(seq uint64, cause error) {
	l := s.loop
	l.mu.Lock()
	defer l.mu.Unlock()
	if r := s.cur; r != nil && r.Seq == seq {
		if r.hc != nil {
			r.hc.abort(cause)
		} else if r.canceled == nil {
			r.canceled = cause
		}
		return
	}
	for i := range s.qlen {
		if r := s.q[(s.head+i)%len(s.q)]; r.Seq == seq && r.canceled == nil {
			r.canceled = cause
		}
	}
}

// Detach ends the source: no more deliveries; a running Send's handler is
// cancelled with cause and queued Sends will not run (their Respond gets
// cause); queued Posts are still handled — they were accepted.
func (s *Source) Detach(cause error) {
	l := s.loop
	l.mu.Lock()
	first := !s.detached
	if first {
		close(s.gone)
	}
	s.detached = true
	if r := s.cur; r != nil && r.IsSend() {
		if r.hc != nil {
			r.hc.abort(cause)
		} else if r.canceled == nil {
			r.canceled = cause
		}
	}
	for i := range s.qlen {
		if r := s.q[(s.head+i)%len(s.q)]; r.IsSend() && r.canceled == nil {
			r.canceled = cause
		}
	}
	l.retire(s)
	l.mu.Unlock()
	if first && l.cfg.OnDetach != nil {
		l.cfg.OnDetach(s)
	}
}

// Busy reports whether the source has a request queued or running.
func (s *Source) Busy() bool {
	s.loop.mu.Lock()
	defer s.loop.mu.Unlock()
	return s.qlen > 0 || s.cur != nil
}

// push appends r to the queue. loop.mu is held.
func (s *Source) push(r *Request) {
	if s.qlen == len(s.q) {
		s.grow()
	}
	s.q[(s.head+s.qlen)%len(s.q)] = r
	s.qlen++
	s.peak = max(s.peak, s.qlen)
	s.qbytes += int64(r.Size)
	s.loop.queued++
	if s.cur == nil && !s.inReady {
		s.inReady = true
		s.loop.ready.push(s)
		s.loop.work.Signal()
	}
}

// pop removes the oldest request. loop.mu is held; the queue is not empty.
func (s *Source) pop() *Request {
	r := s.q[s.head]
	s.q[s.head] = nil
	s.head = (s.head + 1) % len(s.q)
	s.qlen--
	s.qbytes -= int64(r.Size)
	s.loop.queued--
	s.inReady = false
	select {
	case s.space <- struct{}{}:
	default:
	}
	return r
}

func (s *Source) grow() {
	n := min(max(2*len(s.q), 16), s.cap)
	q := make([]*Request, n)
	for i := range s.qlen {
		q[i] = s.q[(s.head+i)%len(s.q)]
	}
	s.q, s.head = q, 0
}

// sourceList is a FIFO of ready sources, linked through Source.next.
type sourceList struct{ head, tail *Source }

func (l *sourceList) empty() bool { return l.head == nil }

func (l *sourceList) push(s *Source) {
	s.next = nil
	if l.tail == nil {
		l.head, l.tail = s, s
		return
	}
	l.tail.next = s
	l.tail = s
}

func (l *sourceList) pop() *Source {
	s := l.head
	l.head = s.next
	if l.head == nil {
		l.tail = nil
	}
	s.next = nil
	return s
}
