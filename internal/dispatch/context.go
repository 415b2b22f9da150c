package dispatch

import (
	"context"
	"sync"
	"time"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// handlerCtx is the context a Send's handler receives. It is built lazily:
// until the handler asks for Done or Err it costs one small allocation and no
// timer, and a cancellation that arrives meanwhile is remembered.
type handlerCtx struct {
	parent   context.Context
	deadline time.Time
	req      *Request

	mu       sync.Mutex
	real     context.Context // materialized on first Done or Err
	cancel   context.CancelCauseFunc
	stopDL   context.CancelFunc
	early    error // cancellation before materialization
	finished bool
}

func newHandlerCtx(parent context.Context, r *Request) *handlerCtx {
	return &handlerCtx{parent: parent, deadline: r.Deadline, req: r}
}

func (c *handlerCtx) Deadline() (time.Time, bool) {
	if !c.deadline.IsZero() {
		if pd, ok := c.parent.Deadline(); ok && pd.Before(c.deadline) {
			return pd, true
		}
		return c.deadline, true
	}
	return c.parent.Deadline()
}

func (c *handlerCtx) Value(key any) any {
	switch key {
	case sendKey{}:
		return true
	case lenderKey{}:
		if c.req == nil || c.req.src == nil {
			return nil
		}
		if l, ok := c.req.src.resp.(transport.Lender); ok {
			return l
		}
		return nil
	}
	return c.parent.Value(key)
}

// sendKey marks a Send's handler context; see InSend.
type sendKey struct{}

// lenderKey finds the connection a Send's handler may borrow from.
type lenderKey struct{}

// LenderOf returns the connection whose buffers a Send's handler may
// borrow for its reply, or nil if its transport lends none.
func LenderOf(ctx context.Context) transport.Lender {
	l, _ := ctx.Value(lenderKey{}).(transport.Lender)
	return l
}

// InSend reports whether ctx is (or derives from) the context of a handler
// answering a Send, as opposed to a Post: Windows' InSendMessage.
func InSend(ctx context.Context) bool {
	v, _ := ctx.Value(sendKey{}).(bool)
	return v
}

func (c *handlerCtx) Done() <-chan struct{} { return c.materialize().Done() }

func (c *handlerCtx) Err() error { return c.materialize().Err() }

// materialize builds the real context the first time it is needed and, for
// an inline request, asks the transport to keep reading meanwhile.
func (c *handlerCtx) materialize() context.Context {
	c.mu.Lock()
	if c.real != nil {
		r := c.real
		c.mu.Unlock()
		return r
	}
	ctx, cancel := context.WithCancelCause(c.parent)
	c.cancel = cancel
	c.real = ctx
	if !c.deadline.IsZero() {
		c.real, c.stopDL = context.WithDeadline(ctx, c.deadline)
	}
	if c.early != nil || c.finished {
		cancel(c.early)
	}
	req := c.req
	watch := req != nil && req.inline && !c.finished
	real := c.real
	c.mu.Unlock()
	if watch {
		req.src.resp.Watch(req)
	}
	return real
}

// abort cancels the handler's context with cause (the sender gave up or went
// away).
func (c *handlerCtx) abort(cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real != nil {
		c.cancel(cause)
		return
	}
	if c.early == nil {
		c.early = cause
	}
}

// finish cancels the context once the handler returned, so a context kept
// beyond the handler's return reports itself done, and frees its timer.
func (c *handlerCtx) finish() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.finished = true
	c.req = nil
	if c.real != nil {
		c.cancel(context.Canceled)
		if c.stopDL != nil {
			c.stopDL()
		}
	}
}
