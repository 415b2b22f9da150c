package bridge

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/postbox-ipc/postbox"
)

// forwarder is the handler of a bridged endpoint: it passes each message
// on to addr, the way it came (Send or Post), over one connection it dials
// on first use and again after that connection failed.
type forwarder struct {
	addr   string
	dialer postbox.Dialer
	log    *slog.Logger

	mu     sync.Mutex
	conn   *postbox.Conn
	closed bool
}

// ServeMessage implements postbox.Handler.
func (f *forwarder) ServeMessage(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
	c, err := f.get(ctx)
	if err != nil {
		return postbox.Reply{}, err
	}
	out := postbox.Message{ID: m.ID, W: m.W, L: m.L, Data: m.Data}
	if postbox.InSend(ctx) {
		rep, err := c.Send(ctx, out)
		f.check(c, err)
		return rep, err
	}
	err = c.Post(ctx, out)
	if err != nil {
		f.log.Warn("postbox bridge: a posted message could not be forwarded", "to", f.addr, "err", err)
	}
	f.check(c, err)
	return postbox.Reply{}, err
}

// get returns the connection, dialing it if needed.
func (f *forwarder) get(ctx context.Context) (*postbox.Conn, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, postbox.ErrClosed
	}
	if f.conn == nil {
		c, err := f.dialer.Dial(ctx, f.addr)
		if err != nil {
			return nil, err
		}
		f.conn = c
	}
	return f.conn, nil
}

// check drops a connection that failed, so the next message redials.
func (f *forwarder) check(c *postbox.Conn, err error) {
	if err == nil || !errors.Is(err, postbox.ErrPeerGone) && !errors.Is(err, postbox.ErrClosed) {
		return
	}
	var re *postbox.RemoteError
	if errors.As(err, &re) {
		return // the far handler's own error: the connection is fine
	}
	f.mu.Lock()
	if f.conn != c {
		f.mu.Unlock()
		return
	}
	f.conn = nil
	f.mu.Unlock()
	if cerr := c.Close(); cerr != nil {
		f.log.Warn("postbox bridge: connection failed", "to", f.addr, "err", cerr)
	}
}

func (f *forwarder) close() error {
	f.mu.Lock()
	c := f.conn
	f.conn, f.closed = nil, true
	f.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.Close()
}
