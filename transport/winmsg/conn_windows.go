package winmsg

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/windows"

	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/winapi"
)

// conn sends to one window. Its methods are safe for concurrent use.
type conn struct {
	hwnd   windows.HWND
	target Target
	peer   transport.Peer
	max    int
	q      *queue

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

var _ transport.Conn = (*conn)(nil)

// dial finds the window t names. Asynchronous deliveries each wait at most
// the close timeout.
func dial(_ context.Context, t Target, cfg *driver.DialConfig) (transport.Conn, error) {
	hwnd, err := find(t)
	if err != nil {
		return nil, err
	}
	c := &conn{hwnd: hwnd, target: t, max: maxSizeOf(hwnd)}
	c.peer = transport.UnknownPeer(Scheme)
	c.peer.Addr = HWNDAddr(uintptr(hwnd))
	var pid uint32
	if _, err := windows.GetWindowThreadProcessId(hwnd, &pid); err == nil {
		c.peer.PID = int(pid)
	}
	c.q = newQueue(hwnd, driver.CloseOr(cfg.CloseTimeout))
	return c, nil
}

// maxSizeOf is the payload limit a Postbox endpoint window publishes, or
// the default limit for other windows.
func maxSizeOf(hwnd windows.HWND) int {
	prop, _ := windows.UTF16PtrFromString(maxSizeProp)
	if n := winapi.GetProp(hwnd, prop); n > 0 && n <= 1<<31 {
		return int(n)
	}
	return driver.DefaultMaxSize
}

func (c *conn) Peer() transport.Peer { return c.peer }

func (c *conn) MaxSize() int { return c.max }

// prepare checks m and encodes its data for the window.
func (c *conn) prepare(m transport.Message) (wire, error) {
	w := wire{id: m.ID, w: m.W, l: m.L}
	if c.closed.Load() {
		return w, transport.ErrClosed
	}
	if m.ID != transport.CopyData {
		if len(m.Data) > 0 {
			return w, fmt.Errorf("%w: window messages carry data only as WM_COPYDATA (ID 0x4A), not ID %#x", errors.ErrUnsupported, m.ID)
		}
		return w, nil
	}
	data, err := c.target.Enc.Encode(m.Data)
	if err != nil {
		return w, err
	}
	if len(data) > c.max {
		return w, fmt.Errorf("%w: %d bytes, the window accepts %d", transport.ErrTooLarge, len(data), c.max)
	}
	w.data = data
	return w, nil
}

// Send delivers m with SendMessageTimeout once earlier posts are
// delivered, and returns the LRESULT. The deadline bounds the wait; a
// cancellation without one cannot interrupt a message Windows is
// delivering, so Send returns when the window answers.
func (c *conn) Send(ctx context.Context, m transport.Message) (transport.Reply, error) {
	w, err := c.prepare(m)
	if err != nil {
		return transport.Reply{}, err
	}
	if err := c.q.drained(ctx); err != nil {
		return transport.Reply{}, err
	}
	timeout, err := timeoutFor(ctx)
	if err != nil {
		return transport.Reply{}, err
	}
	res, err := sendMessage(c.hwnd, &w, timeout)
	if err != nil && ctx.Err() != nil {
		err = transport.CtxErr(ctx)
	}
	return transport.Reply{Result: res}, err
}

// SendAsync queues m; the queue's goroutine sends it and calls done. ctx
// bounds it as it bounds Send: a message whose ctx ended before its turn is
// not sent, and the deadline bounds SendMessageTimeout.
func (c *conn) SendAsync(ctx context.Context, m transport.Message, done func(transport.Reply, error)) {
	w, err := c.prepare(m)
	if err == nil {
		w.data = cloneData(w.data, m.Data)
		err = c.q.push(ctx, &item{m: w, done: done, ctx: ctx}, false)
	}
	if err != nil {
		done(transport.Reply{}, err)
	}
}

// Post delivers m without waiting for the window: PostMessage when it has
// no data and nothing is queued before it, else through the queue.
func (c *conn) Post(ctx context.Context, m transport.Message) error {
	return c.post(ctx, m, true)
}

// TryPost is Post that fails with ErrQueueFull instead of waiting.
func (c *conn) TryPost(m transport.Message) error {
	return c.post(context.Background(), m, false)
}

func (c *conn) post(ctx context.Context, m transport.Message, block bool) error {
	w, err := c.prepare(m)
	if err != nil {
		return err
	}
	if !w.copyData() && c.q.reserveDirect() {
		defer c.q.endDirect()
		if block {
			return postWait(ctx, c.hwnd, &w)
		}
		return postMessage(c.hwnd, &w)
	}
	w.data = cloneData(w.data, m.Data)
	return c.q.push(ctx, &item{m: w}, block)
}

// cloneData copies enc when it still shares memory with the caller's
// data, which the caller may reuse once Post returns.
func cloneData(enc, orig []byte) []byte {
	if len(enc) > 0 && len(orig) > 0 && &enc[0] == &orig[0] {
		return append([]byte(nil), enc...)
	}
	return enc
}

// Flush waits until every queued message was delivered and reports posts
// that failed since the last Flush as a *LostError.
func (c *conn) Flush(ctx context.Context) error {
	return c.q.flush(ctx)
}

// Close flushes for at most the close timeout, stops the queue and reports
// every post that was not delivered. It is idempotent.
func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		ctx, cancel := context.WithTimeout(context.Background(), c.q.timeout)
		_ = c.q.drained(ctx) // what did not drain, stop reports
		cancel()
		c.closeErr = c.q.stop()
	})
	return c.closeErr
}
