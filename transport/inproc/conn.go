package inproc

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// conn is a client's view of an in-process endpoint: a Source of its loop.
type conn struct {
	l        *listener
	src      *dispatch.Source
	max      int
	replyMax int
	noCopy   bool // Data is handed over, not copied (Dialer.NoCopy)
	seq      atomic.Uint64
	closed   atomic.Bool

	mu      sync.Mutex
	pending map[*waiter]struct{} // Sends awaiting an answer; Close fails them
	ended   bool                 // set by Close under mu: nothing more is tracked
}

var _ transport.Conn = (*conn)(nil)

// waiter carries a Send's outcome back to its caller, exactly once: from
// the loop (Respond), from Close, or from Send itself when delivery failed.
type waiter struct {
	ctx  context.Context
	ch   chan result
	stop func() bool // stops watching ctx
	cb   func(transport.Reply, error)
	done atomic.Bool // completed
}

type result struct {
	rep   transport.Reply
	err   error
	final bool // from the loop: nothing refers to the waiter any more
}

// complete delivers res unless the waiter was completed already, and
// reports whether it did.
func (w *waiter) complete(res result) bool {
	if !w.done.CompareAndSwap(false, true) {
		return false
	}
	if w.cb != nil {
		w.cb(res.rep, res.err)
	} else {
		w.ch <- res
	}
	return true
}

func getWaiter(ctx context.Context) *waiter {
	w := waiterPool.Get().(*waiter)
	w.ctx = ctx
	return w
}

func putWaiter(w *waiter) {
	w.ctx, w.stop, w.cb = nil, nil, nil
	w.done.Store(false)
	waiterPool.Put(w)
}

// track records w as pending, unless the connection is closed.
func (c *conn) track(w *waiter) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return false
	}
	if c.pending == nil {
		c.pending = make(map[*waiter]struct{})
	}
	c.pending[w] = struct{}{}
	return true
}

// untrack forgets w and reports whether it was still tracked; if not, Close
// took it and may still complete it, so it must not be reused.
func (c *conn) untrack(w *waiter) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.pending[w]
	delete(c.pending, w)
	return ok
}

var waiterPool = sync.Pool{New: func() any { return &waiter{ch: make(chan result, 1)} }}

func (c *conn) Peer() transport.Peer {
	return transport.Peer{PID: c.src.Peer().PID, UID: -1, GID: -1, Transport: Scheme, Addr: c.l.name}
}

func (c *conn) MaxSize() int { return c.max }

func (c *conn) request(m transport.Message) (*dispatch.Request, error) {
	if c.closed.Load() {
		return nil, transport.ErrClosed
	}
	if len(m.Data) > c.max {
		return nil, fmt.Errorf("%w: %d bytes, receiver accepts %d", transport.ErrTooLarge, len(m.Data), c.max)
	}
	r := dispatch.NewRequest()
	data := m.Data
	if !c.noCopy {
		data = clone(data) // the caller may reuse m.Data once the call returns
	}
	r.Msg = transport.Message{ID: m.ID, W: m.W, L: m.L, Data: data}
	r.Size = len(m.Data)
	return r, nil
}

// Send runs the handler in the calling goroutine when the endpoint is idle
// and ctx can never end; otherwise the handler runs in the loop's goroutine
// while Send waits for it or ctx, whichever comes first, so a handler that
// ignores its context cannot hold the sender past its deadline.
func (c *conn) Send(ctx context.Context, m transport.Message) (transport.Reply, error) {
	r, err := c.request(m)
	if err != nil {
		return transport.Reply{}, err
	}
	w := getWaiter(ctx)
	if !c.track(w) {
		dispatch.Free(r)
		putWaiter(w)
		return transport.Reply{}, transport.ErrClosed
	}
	r.Seq = c.seq.Add(1)
	r.Deadline, _ = ctx.Deadline()
	r.Aux = w
	seq := r.Seq
	err = c.src.Deliver(r, ctx.Done() == nil)
	if err == transport.ErrQueueFull {
		err = c.src.DeliverWait(ctx, r)
	}
	if err != nil {
		// Never delivered: the error is the answer, unless Close
		// completed w first.
		dispatch.Free(r)
		err = c.undeliverable(err)
		if w.complete(result{err: err, final: true}) {
			<-w.ch
			if c.untrack(w) {
				putWaiter(w)
			}
			return transport.Reply{}, err
		}
	}
	select {
	case res := <-w.ch:
		// Reuse w only if the loop is done with it (final) and Close
		// never took it.
		if c.untrack(w) && res.final {
			putWaiter(w)
		}
		if res.err != nil && ctx.Err() != nil {
			return transport.Reply{}, transport.CtxErr(ctx) // the sender gave up first
		}
		return res.rep, res.err
	case <-ctx.Done():
		c.untrack(w)
		c.src.Cancel(seq, context.Cause(ctx))
		return transport.Reply{}, transport.CtxErr(ctx) // w is dropped: Respond may still use it
	}
}

func (c *conn) undeliverable(err error) error {
	if err == transport.ErrClosed && !c.closed.Load() {
		return fmt.Errorf("%w: endpoint closed", transport.ErrPeerGone)
	}
	return err
}

// SendAsync delivers m through the queue and calls done from the handler's
// goroutine, or with ctx's error once ctx ends first.
func (c *conn) SendAsync(ctx context.Context, m transport.Message, done func(transport.Reply, error)) {
	r, err := c.request(m)
	if err != nil {
		done(transport.Reply{}, err)
		return
	}
	w := &waiter{cb: done}
	if !c.track(w) {
		dispatch.Free(r)
		done(transport.Reply{}, transport.ErrClosed)
		return
	}
	r.Seq = c.seq.Add(1)
	r.Deadline, _ = ctx.Deadline()
	r.Aux = w
	if ctx.Done() != nil {
		seq := r.Seq
		w.stop = context.AfterFunc(ctx, func() {
			if w.complete(result{err: transport.CtxErr(ctx)}) {
				c.untrack(w)
				c.src.Cancel(seq, context.Cause(ctx))
			}
		})
	}
	if err := c.src.Deliver(r, false); err != nil {
		dispatch.Free(r)
		c.untrack(w)
		if w.stop != nil {
			w.stop()
		}
		w.complete(result{err: c.undeliverable(err)})
	}
}

// Post queues m; the handler runs in the endpoint's goroutine.
func (c *conn) Post(ctx context.Context, m transport.Message) error {
	r, err := c.request(m)
	if err != nil {
		return err
	}
	if err := c.src.DeliverWait(ctx, r); err != nil {
		dispatch.Free(r)
		return c.undeliverable(err)
	}
	return nil
}

// TryPost queues m or fails with ErrQueueFull.
func (c *conn) TryPost(m transport.Message) error {
	r, err := c.request(m)
	if err != nil {
		return err
	}
	if err := c.src.Deliver(r, false); err != nil {
		dispatch.Free(r)
		return c.undeliverable(err)
	}
	return nil
}

// Flush returns at once: a Post that returned nil is already in the queue.
func (c *conn) Flush(ctx context.Context) error {
	if c.closed.Load() {
		return transport.ErrClosed
	}
	return ctx.Err()
}

// Close detaches from the endpoint and fails every Send still waiting with
// ErrClosed; posted messages already queued are still handled.
func (c *conn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	c.mu.Lock()
	c.ended = true
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	c.src.Detach(transport.ErrClosed)
	for w := range pending {
		w.complete(result{err: transport.ErrClosed})
	}
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	return nil
}

// Respond implements dispatch.Responder.
func (c *conn) Respond(r *dispatch.Request, rep transport.Reply, err error) {
	if w, ok := r.Aux.(*waiter); ok {
		if w.stop != nil {
			w.stop()
		}
		if err == nil && len(rep.Data) > c.replyMax {
			err = fmt.Errorf("%w: reply of %d bytes, sender accepts %d", transport.ErrTooLarge, len(rep.Data), c.replyMax)
		}
		if w.cb != nil {
			c.untrack(w)
		}
		// The handler may reuse its reply's slice once it returned.
		rep.Data = clone(rep.Data)
		w.complete(result{rep: rep, err: err, final: true})
	}
	dispatch.Free(r)
}

// Begin implements dispatch.Responder; an inline handler runs in the
// sender's own goroutine, so nothing else needs to go on.
func (c *conn) Begin(*dispatch.Request, time.Duration) {}

// Watch implements dispatch.Responder: the handler runs inline in the
// sender's goroutine, so the sender's context is watched from outside.
func (c *conn) Watch(r *dispatch.Request) {
	w, ok := r.Aux.(*waiter)
	if !ok || w.ctx == nil {
		return
	}
	seq := r.Seq
	w.stop = context.AfterFunc(w.ctx, func() { c.src.Cancel(seq, context.Canceled) })
}

// clone copies b; an empty b comes back nil.
func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}
