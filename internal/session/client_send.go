package session

import (
	"context"
	"fmt"
	"time"

	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// Send delivers m and waits for the handler's reply.
func (c *Client) Send(ctx context.Context, m transport.Message) (transport.Reply, error) {
	size, err := c.checkSize(m)
	if err != nil {
		return transport.Reply{}, c.unlend(m.Data, err)
	}
	if err := c.acquire(ctx, size, true, m.ID); err != nil {
		return transport.Reply{}, c.unlend(m.Data, err)
	}
	cl := getCall()
	cl.size = size
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.release(1, size)
		c.mu.Unlock()
		putCall(cl)
		return transport.Reply{}, c.unlend(m.Data, err)
	}
	c.seq++
	seq := c.seq
	c.calls[seq] = cl
	c.needRead++
	c.mu.Unlock()

	h := wire.Header{Kind: wire.KindSend, ID: m.ID, Seq: seq, W: m.W, L: m.L}
	if dl, ok := ctx.Deadline(); ok {
		h.Timeout = max(int64(time.Until(dl)), 1)
	}
	c.w.frame(&h, m.Data, true) // a failure fails the connection, and cl with it
	if err := c.await(ctx, cl); err != nil {
		if c.abandon(cl) {
			c.w.frame(&wire.Header{Kind: wire.KindCancel, Seq: seq}, nil, false)
			return transport.Reply{}, err
		}
	}
	rep, err := cl.rep, cl.err
	putCall(cl)
	return rep, err
}

// SendAsync delivers m and calls done with the outcome. ctx's deadline
// reaches the handler; when ctx ends first, done gets its error and the
// receiver a Cancel.
func (c *Client) SendAsync(ctx context.Context, m transport.Message, done func(transport.Reply, error)) {
	size, err := c.checkSize(m)
	if err == nil {
		err = c.acquire(ctx, size, false, m.ID)
	}
	if err != nil {
		done(transport.Reply{}, c.unlend(m.Data, err))
		return
	}
	cl := getCall()
	cl.size, cl.cb = size, done
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.release(1, size)
		c.mu.Unlock()
		putCall(cl)
		done(transport.Reply{}, c.unlend(m.Data, err))
		return
	}
	c.seq++
	seq := c.seq
	c.calls[seq] = cl
	c.needRead++
	kick := !c.reading
	if ctx.Done() != nil {
		cl.stop = context.AfterFunc(ctx, func() { c.cancelAsync(ctx, seq) })
	}
	c.mu.Unlock()
	h := wire.Header{Kind: wire.KindSend, ID: m.ID, Seq: seq, W: m.W, L: m.L}
	if dl, ok := ctx.Deadline(); ok {
		h.Timeout = max(int64(time.Until(dl)), 1)
	}
	c.w.frame(&h, m.Data, false)
	if kick {
		c.kickReader()
	}
}

// cancelAsync ends the SendAsync seq because its ctx ended, unless its
// answer came first: done gets the context's error, the receiver a Cancel,
// and the answer, should it still come, only returns credit.
func (c *Client) cancelAsync(ctx context.Context, seq uint64) {
	c.mu.Lock()
	cl, ok := c.calls[seq]
	if !ok || cl.done || cl.abandoned {
		c.mu.Unlock()
		return
	}
	cl.abandoned = true
	c.needRead--
	cb := cl.cb
	c.mu.Unlock()
	c.w.frame(&wire.Header{Kind: wire.KindCancel, Seq: seq}, nil, false)
	cb(transport.Reply{}, transport.CtxErr(ctx))
}

// Post delivers m without waiting for the handler.
func (c *Client) Post(ctx context.Context, m transport.Message) error {
	return c.post(ctx, m, true)
}

// TryPost is Post that fails with ErrQueueFull instead of waiting.
func (c *Client) TryPost(m transport.Message) error {
	return c.post(context.Background(), m, false)
}

func (c *Client) post(ctx context.Context, m transport.Message, block bool) error {
	size, err := c.checkSize(m)
	if err != nil {
		return c.unlend(m.Data, err)
	}
	if err := c.acquire(ctx, size, block, m.ID); err != nil {
		return c.unlend(m.Data, err)
	}
	c.mu.Lock()
	c.posted++
	c.mu.Unlock()
	// A large payload is written straight from the caller's slice, like a
	// Send's, instead of being copied into the coalescing buffer; the
	// credit just taken guarantees the receiver has room for it. So is any
	// blocking Post on a stream that takes frames without system calls (a
	// shared-memory ring): handing it to the flusher would only add a copy
	// and a second goroutine contending for the writer.
	h := wire.Header{Kind: wire.KindPost, ID: m.ID, W: m.W, L: m.L}
	now := len(m.Data) >= directMin || block && c.w.try != nil
	if err := c.w.frame(&h, m.Data, now); err != nil {
		c.mu.Lock()
		c.posted-- // never written: not sent, so not lost either
		c.mu.Unlock()
		return c.connErr(err)
	}
	return nil
}

// Flush waits until the receiver has accepted every message posted before
// Flush was called.
func (c *Client) Flush(ctx context.Context) error {
	c.mu.Lock()
	target := c.posted
	c.mu.Unlock()
	for synced := false; ; synced = true {
		c.mu.Lock()
		if c.confirmed >= target {
			c.mu.Unlock()
			return nil
		}
		if c.err != nil {
			err := c.lostLocked()
			c.mu.Unlock()
			return err
		}
		if synced && c.draining != nil {
			// The endpoint refuses new messages: what it has not
			// accepted by now, it never will.
			err := &transport.LostError{Count: target - c.confirmed, Err: c.draining}
			c.mu.Unlock()
			return err
		}
		if err := c.sync(ctx); err != nil {
			return err
		}
	}
}

// sync sends one Sync frame and waits for its answer. c.mu is held on entry
// and released.
func (c *Client) sync(ctx context.Context) error {
	cl := getCall()
	cl.sync = true
	c.seq++
	seq := c.seq
	c.calls[seq] = cl
	c.needRead++
	c.mu.Unlock()
	c.w.frame(&wire.Header{Kind: wire.KindSync, Seq: seq}, nil, true)
	if err := c.await(ctx, cl); err != nil && c.abandon(cl) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return &transport.LostError{Count: c.posted - c.confirmed, Err: err}
	}
	putCall(cl)
	return nil
}

// lostLocked reports unconfirmed posts after the connection ended.
func (c *Client) lostLocked() error {
	if n := c.posted - c.confirmed; n > 0 {
		return &transport.LostError{Count: n, Err: c.err}
	}
	return c.err
}

func (c *Client) connErr(err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	return peerGone(err)
}

func (c *Client) checkSize(m transport.Message) (int64, error) {
	n := len(m.Data)
	if n > int(c.peerMax) || int64(n) > c.winBytes {
		return 0, fmt.Errorf("%w: %d bytes, receiver accepts %d", transport.ErrTooLarge, n, c.peerMax)
	}
	return int64(n), nil
}

// acquire takes credit for one message of size bytes with ID id, waiting
// while block is set and ctx allows.
func (c *Client) acquire(ctx context.Context, size int64, block bool, id uint32) error {
	for {
		c.mu.Lock()
		if c.err != nil {
			err := c.err
			c.mu.Unlock()
			return err
		}
		if c.draining != nil && !transport.Reserved(id) {
			c.mu.Unlock()
			return c.draining
		}
		if c.credMsgs > 0 && c.credBytes >= size {
			c.credMsgs--
			c.credBytes -= size
			c.mu.Unlock()
			return nil
		}
		if !block {
			c.mu.Unlock()
			return transport.ErrQueueFull
		}
		cl := getCall()
		c.creditW = append(c.creditW, cl)
		c.needRead++
		c.mu.Unlock()
		if err := c.await(ctx, cl); err != nil {
			c.mu.Lock()
			if !cl.done {
				c.removeCreditWaiter(cl)
				c.needRead--
			}
			c.mu.Unlock()
			putCall(cl)
			return fmt.Errorf("%w: %w", transport.ErrQueueFull, err)
		}
		putCall(cl)
	}
}

func (c *Client) removeCreditWaiter(cl *call) {
	for i, w := range c.creditW {
		if w == cl {
			c.creditW = append(c.creditW[:i], c.creditW[i+1:]...)
			return
		}
	}
}

// release returns credit. c.mu is held.
func (c *Client) release(msgs, bytes int64) {
	c.credMsgs += msgs
	c.credBytes += bytes
	for _, cl := range c.creditW {
		c.finish(cl)
	}
	c.creditW = c.creditW[:0]
}

// abandon gives up on cl after its caller's context ended. It reports false
// when the answer arrived meanwhile, and the caller should use it.
func (c *Client) abandon(cl *call) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl.done {
		return false
	}
	cl.abandoned = true
	c.needRead--
	return true
}
