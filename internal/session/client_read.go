package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/postbox-ipc/postbox/internal/bufpool"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// Reading. Nobody reads an idle connection. A goroutine that waits for an
// answer reads frames itself when nobody else is (so a round trip costs no
// goroutine hand-off), and hands reading to the background goroutine when it
// leaves while others still wait.

// await waits until cl is done or ctx ends.
func (c *Client) await(ctx context.Context, cl *call) error {
	for {
		c.mu.Lock()
		if cl.done {
			c.mu.Unlock()
			return nil
		}
		if !c.reading && c.err == nil {
			c.reading = true
			c.mu.Unlock()
			err := c.lead(ctx, cl)
			c.leave()
			if err != nil {
				return err
			}
			continue
		}
		c.mu.Unlock()
		select {
		case <-cl.ch:
		case <-ctx.Done():
			return transport.CtxErr(ctx)
		}
	}
}

// leave gives up the reading role, passing it on if someone still waits.
func (c *Client) leave() {
	c.mu.Lock()
	c.reading = false
	kick := c.needRead > 0 && c.err == nil
	c.mu.Unlock()
	if kick {
		c.kickReader()
	}
}

func (c *Client) kickReader() {
	select {
	case c.bgKick <- struct{}{}:
	default:
	}
}

// lead reads frames until cl is done, the connection fails, or ctx ends.
func (c *Client) lead(ctx context.Context, cl *call) error {
	dl, _ := ctx.Deadline()
	c.setReadDeadline(dl)
	if ctx.Done() != nil {
		// Cancellation before the deadline interrupts the read too.
		stop := context.AfterFunc(ctx, func() { c.conn.SetReadDeadline(aLongTimeAgo) })
		defer stop()
	}
	for {
		done, woke := c.isDone(cl)
		if done {
			return nil
		}
		c.yield(woke)
		if err := c.readOne(); err != nil {
			c.curDL = aLongTimeAgo // unknown now: the next reader sets it again
			if ctx.Err() != nil {
				return transport.CtxErr(ctx)
			}
			c.setReadDeadline(dl)
		}
	}
}

// yield lets the callers the reader just woke run before it reads on, if
// it woke any and has no whole frame buffered: they send their next
// requests from this P at once, instead of waiting for another thread to
// be woken for them or for the poll's next turn (pollShare). With eight
// callers on one unix: connection, 64 B Sends went from 0.66× to 0.92× of
// eight bare sockets (docs/BENCHMARKS.md, finding 11).
func (c *Client) yield(woke bool) {
	if woke && !c.r.whole() {
		runtime.Gosched()
	}
}

// background reads for waiters that are not reading themselves (SendAsync,
// and callers who found someone else reading and then saw them leave).
func (c *Client) background() {
	defer c.wg.Done()
	for {
		select {
		case <-c.stop:
			return
		case <-c.bgKick:
		}
		c.mu.Lock()
		if c.reading || c.needRead == 0 || c.err != nil {
			c.mu.Unlock()
			continue
		}
		c.reading = true
		c.mu.Unlock()
		c.setReadDeadline(time.Time{})
		for {
			want, woke := c.wanted()
			if !want {
				break
			}
			c.yield(woke)
			if err := c.readOne(); err != nil {
				c.curDL = aLongTimeAgo
				c.setReadDeadline(time.Time{})
			}
		}
		c.leave()
	}
}

// wanted reports whether anyone waits for the reader, and whether it woke
// a waiter since it last asked (see yield).
func (c *Client) wanted() (want, woke bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	woke, c.woke = c.woke, false
	return c.needRead > 0 && c.err == nil, woke
}

func (c *Client) setReadDeadline(t time.Time) {
	if !t.Equal(c.curDL) {
		c.conn.SetReadDeadline(t)
		c.curDL = t
	}
}

// readOne reads and handles one frame. It returns only a timeout error; any
// other error fails the connection, which completes every call.
func (c *Client) readOne() error {
	c.lastBuf, c.isShared = nil, false
	h, p, err := c.r.next(c.alloc)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return err
		}
		if errors.Is(err, transport.ErrProtocol) || errors.Is(err, transport.ErrTooLarge) {
			c.fail(err)
		} else {
			c.fail(peerGone(err))
		}
		return nil
	}
	if err := c.handle(&h, p); err != nil {
		c.fail(err)
	}
	return nil
}

// isDone reports whether cl is done, and whether the reader woke a waiter
// since it last asked (see yield).
func (c *Client) isDone(cl *call) (done, woke bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	woke, c.woke = c.woke, false
	return cl.done, woke
}

// handle applies one frame from the receiver.
func (c *Client) handle(h *wire.Header, p []byte) error {
	switch h.Kind {
	case wire.KindReply:
		rep := transport.Reply{Result: h.W, Data: p}
		if len(p) > 0 {
			rep.Buf = c.lastBuf
		}
		if c.isShared {
			rep.Give = c.giver(c.shared)
		}
		return c.answer(h.Seq, rep, nil)
	case wire.KindError:
		code := transport.Code(h.ID)
		if !code.Valid() {
			code = transport.CodeHandler
		}
		return c.answer(h.Seq, transport.Reply{}, &transport.RemoteError{Code: code, Message: string(p)})
	case wire.KindCredit:
		return c.credit(int64(h.ID), h.W)
	case wire.KindSyncAck:
		return c.syncAck(h.Seq, uint64(h.W))
	case wire.KindGoaway:
		return fmt.Errorf("%w: receiver closed the connection: %s", transport.ErrPeerGone, p)
	case wire.KindDrain:
		c.drain()
		return nil
	}
	return fmt.Errorf("%w: unexpected %s frame from the receiver", transport.ErrProtocol, h.Kind)
}

// drain applies a Drain frame: the endpoint is shutting down. New messages
// fail at once (reserved ones still go: a spy may watch to the end);
// pending Sends and Flushes carry on, and those waiting for credit to post
// are woken to fail.
func (c *Client) drain() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.draining = transport.ErrDraining
	for _, cl := range c.creditW {
		c.finish(cl)
	}
	c.creditW = c.creditW[:0]
}

// answer completes the Send seq.
func (c *Client) answer(seq uint64, rep transport.Reply, err error) error {
	c.mu.Lock()
	cl, ok := c.calls[seq]
	if !ok || cl.sync {
		c.mu.Unlock()
		return fmt.Errorf("%w: answer to unknown request %d", transport.ErrProtocol, seq)
	}
	delete(c.calls, seq)
	c.release(1, cl.size)
	if cl.abandoned {
		c.mu.Unlock()
		putCall(cl)
		bufpool.Put(rep.Buf) // nobody will read it
		if rep.Give != nil {
			rep.Give()
		}
		return nil
	}
	cl.rep, cl.err = rep, err
	c.finish(cl)
	cb, stop := cl.cb, cl.stop
	c.mu.Unlock()
	if cb != nil {
		if stop != nil {
			stop()
		}
		putCall(cl)
		cb(rep, err)
	}
	return nil
}

// credit applies a Credit frame: Posts handled, their queue space freed.
func (c *Client) credit(msgs, bytes int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if msgs < 0 || bytes < 0 || c.credMsgs+msgs > c.winMsgs || c.credBytes+bytes > c.winBytes ||
		c.handled+uint64(msgs) > c.posted {
		return fmt.Errorf("%w: credit beyond the window", transport.ErrProtocol)
	}
	c.handled += uint64(msgs)
	c.confirmed = max(c.confirmed, c.handled)
	c.release(msgs, bytes)
	return nil
}

// syncAck completes the Sync seq: the receiver has accepted n posts.
func (c *Client) syncAck(seq, n uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.calls[seq]
	if !ok || !cl.sync || n > c.posted {
		return fmt.Errorf("%w: unexpected sync ack %d", transport.ErrProtocol, seq)
	}
	delete(c.calls, seq)
	c.confirmed = max(c.confirmed, n)
	if cl.abandoned {
		putCall(cl)
		return nil
	}
	c.finish(cl)
	return nil
}
