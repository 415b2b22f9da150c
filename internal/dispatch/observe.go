package dispatch

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/postbox-ipc/postbox/internal/stats"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// Tap sees every message the loop handles while it is installed: the spy.
// start is a reading of stats.Now, d the handling time. Record is called in
// the handling goroutine after the handler returned and
// before the answer goes back, so r.Msg.Data is still valid; it must copy
// what it keeps and return quickly.
type Tap interface {
	Record(r *Request, rep transport.Reply, err error, start, d time.Duration)
}

// SetTap installs t, or removes the tap when t is nil. Without a tap the
// handling path pays one atomic load.
func (l *Loop) SetTap(t Tap) {
	if t == nil {
		l.tap.Store(nil)
		return
	}
	l.tap.Store(&t)
}

// StopAccepting begins a graceful shutdown: from now on every source
// refuses new messages with transport.ErrDraining, while queued and
// running ones are handled as usual (Drain waits for them). Messages with
// reserved IDs are still answered. It cannot be undone.
func (l *Loop) StopAccepting() {
	l.mu.Lock()
	l.draining = true
	l.mu.Unlock()
}

// Draining reports whether StopAccepting was called.
func (l *Loop) Draining() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.draining
}

// CountError counts an error no source owns, such as a failed handshake.
func (l *Loop) CountError(k stats.Kind) { l.events.Error(k) }

// CountError counts an error on s's connection, such as a protocol
// violation.
func (s *Source) CountError(k stats.Kind) {
	s.loop.mu.Lock()
	s.ctr.Error(k)
	s.loop.mu.Unlock()
}

// ID numbers the source in its loop, from 1, in order of attachment.
func (s *Source) ID() uint64 { return s.id }

// retire folds a detached, idle source's counts into the loop's totals and
// forgets it. l.mu is held.
func (l *Loop) retire(s *Source) {
	if s.retired || s.qlen > 0 || s.cur != nil || !s.detached && !l.closed {
		return
	}
	s.retired = true
	s.ctr.Fold(&l.retired)
	delete(l.sources, s)
	if s.hold.evicted.Load() || s.hold.reclaim.Load() {
		l.reclaimSoon()
	}
}

// Snapshot fills st's counts, queue figures and open connections.
func (l *Loop) Snapshot(st *stats.Endpoint) {
	l.events.AddTo(&st.Counts)
	l.mu.Lock()
	l.retired.AddTo(&st.Counts)
	st.Queued, st.Running, st.Draining = l.queued, l.running, l.draining
	st.ConnsTotal = l.nextID
	st.Held, st.HeldPeak = l.Held()
	st.MaxMemory = l.mem.limit
	st.Conns = make([]stats.Conn, 0, len(l.sources))
	for s := range l.sources {
		c := stats.Conn{ID: s.id, Peer: s.peer, Since: s.since, Queued: s.qlen, QueuePeak: s.peak, Held: s.hold.held.Load()}
		s.ctr.AddTo(&c.Counts)
		s.ctr.AddTo(&st.Counts)
		if !s.detached {
			st.Conns = append(st.Conns, c)
		}
	}
	l.mu.Unlock()
	slices.SortFunc(st.Conns, func(a, b stats.Conn) int { return cmp.Compare(a.ID, b.ID) })
}

// control answers a message with a reserved ID, in the calling goroutine,
// without queueing it.
func (s *Source) control(r *Request) error {
	l := s.loop
	l.mu.Lock()
	closed := s.detached || l.closed
	l.mu.Unlock()
	if closed {
		return transport.ErrClosed
	}
	r.src = s
	r.Msg.From = s.peer
	r.inline = true
	var rep transport.Reply
	var err error
	switch {
	case !r.IsSend():
		// Nothing to answer; a Post's completion returns its credit.
	case l.cfg.Control == nil:
		err = &transport.RemoteError{Code: transport.CodeHandler, Message: fmt.Sprintf("message %#x is reserved", r.Msg.ID)}
	default:
		rep, err = l.cfg.Control(s, &r.Msg)
	}
	s.resp.Respond(r, rep, err)
	return nil
}
