package postbox

import (
	"context"
	"errors"

	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// Conn is a connection to one endpoint: FindWindow's HWND, with SendMessage
// and PostMessage. Its methods are safe for concurrent use; many Sends may
// be outstanding at once, each matched to its own reply.
type Conn struct {
	c    transport.Conn // without Dialer.Redial
	re   *redialer      // with it
	addr string
}

// Dial connects to the endpoint at addr: a bare name, or "scheme:rest" such
// as "unix:viewer", "unix:/path.sock", "inproc:viewer", "tcp://host:port".
func Dial(ctx context.Context, addr string, opts ...DialOption) (*Conn, error) {
	var d Dialer
	for _, o := range opts {
		o(&d)
	}
	return d.Dial(ctx, addr)
}

// Dial connects to the endpoint at addr with d's settings.
func (d *Dialer) Dial(ctx context.Context, addr string) (*Conn, error) {
	t, rest, err := lookup(addr, d.Transports)
	if err != nil {
		return nil, opErr("dial", addr, err)
	}
	cfg := d.driverConfig()
	tc, err := t.Dial(ctx, rest, cfg)
	if err != nil {
		return nil, opErr("dial", addr, err)
	}
	if !d.Redial {
		return &Conn{c: tc, addr: addr}, nil
	}
	re := &redialer{dial: func(ctx context.Context) (transport.Conn, error) { return t.Dial(ctx, rest, cfg) }}
	re.cur.Store(&held{tc: tc})
	return &Conn{re: re, addr: addr}, nil
}

func (d *Dialer) driverConfig() *driver.DialConfig {
	return &driver.DialConfig{
		MaxSize:          uint32(max(d.MaxSize, 0)),
		HandshakeTimeout: d.HandshakeTimeout,
		CloseTimeout:     d.CloseTimeout,
		System:           d.System,
		TrustUIDs:        d.TrustUIDs,
		Logger:           d.Logger,
		NoCopy:           d.NoCopy,
		InPlace:          d.InPlace,
	}
}

// Addr is the address the connection was dialed with.
func (c *Conn) Addr() string { return c.addr }

// Peer describes the receiving process, as far as the transport knows.
func (c *Conn) Peer() Peer { return Peer(c.current().Peer()) }

// MaxSize is the largest payload the receiver accepts.
func (c *Conn) MaxSize() int { return c.current().MaxSize() }

// current is the connection in use now.
func (c *Conn) current() transport.Conn {
	if c.re != nil {
		return c.re.cur.Load().tc
	}
	return c.c
}

// conn is the connection for a new message; with Dialer.Redial, a new one
// if the last ended. note, given its h, learns how the message fared.
func (c *Conn) conn(ctx context.Context) (transport.Conn, *held, error) {
	if c.re == nil {
		return c.c, nil, nil
	}
	h, err := c.re.conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	return h.tc, h, nil
}

func (c *Conn) note(h *held, err error) {
	if h != nil {
		c.re.note(h, err)
	}
}

// Send delivers m and waits for the handler's reply (SendMessage, with
// SendMessageTimeout's deadline taken from ctx). The deadline and any
// cancellation reach the handler's context. Errors say which of: no such
// endpoint, timed out (ErrTimeout), receiver died (ErrPeerGone), handler
// failed or panicked (*RemoteError), too large (ErrTooLarge), denied.
func (c *Conn) Send(ctx context.Context, m Message) (Reply, error) {
	tc, h, err := c.conn(ctx)
	if err != nil {
		return Reply{}, opErr("send", c.addr, err)
	}
	rep, err := tc.Send(ctx, wireMsg(m))
	if err != nil {
		c.note(h, err)
		return publicReply(rep), opErr("send", c.addr, err)
	}
	return publicReply(rep), nil
}

// SendAsync delivers m and calls done with the outcome, exactly once
// (SendMessageCallback). done runs on an internal goroutine and must not
// block. SendAsync never blocks: without queue space, done gets
// ErrQueueFull before SendAsync returns. As with Send, ctx's deadline
// reaches the handler; if ctx ends before the answer, done gets
// ErrTimeout (or context.Canceled) and the handler's context is
// cancelled.
func (c *Conn) SendAsync(ctx context.Context, m Message, done func(Reply, error)) {
	tc, h, err := c.conn(ctx)
	if err != nil {
		done(Reply{}, opErr("send", c.addr, err))
		return
	}
	tc.SendAsync(ctx, wireMsg(m), func(rep transport.Reply, err error) {
		c.note(h, err)
		done(publicReply(rep), opErr("send", c.addr, err))
	})
}

// Post delivers m without waiting for the handler (PostMessage, with data).
// It blocks while the receiver's queue is full, until ctx ends. A nil error
// means the message is on its way with queue space reserved for it; Flush
// confirms the receiver took it.
func (c *Conn) Post(ctx context.Context, m Message) error {
	tc, h, err := c.conn(ctx)
	if err == nil {
		err = tc.Post(ctx, wireMsg(m))
		c.note(h, err)
	}
	return opErr("post", c.addr, err)
}

// TryPost is Post that fails with ErrQueueFull instead of waiting.
func (c *Conn) TryPost(m Message) error {
	tc, h, err := c.conn(context.Background())
	if err == nil {
		err = tc.TryPost(wireMsg(m))
		c.note(h, err)
	}
	return opErr("post", c.addr, err)
}

// Flush waits until the receiver has accepted every message posted before
// it. If the connection ends first, the error is a *LostError counting the
// posts that were never confirmed. With Dialer.Redial it also reports,
// once, what connections replaced since the last Flush left unconfirmed.
func (c *Conn) Flush(ctx context.Context) error {
	if c.re == nil {
		return opErr("flush", c.addr, c.c.Flush(ctx))
	}
	h := c.re.cur.Load()
	err := h.tc.Flush(ctx)
	c.re.note(h, err)
	return opErr("flush", c.addr, errors.Join(c.re.takeLost(), err))
}

// Close flushes posted messages (for at most the Dialer's CloseTimeout) and
// closes the connection; Sends still waiting fail with ErrClosed. Posts the
// receiver never confirmed are reported as a *LostError. Close is
// idempotent.
func (c *Conn) Close() error {
	if c.re != nil {
		return opErr("close", c.addr, c.re.close())
	}
	return opErr("close", c.addr, c.c.Close())
}

// Send dials addr, sends m, and closes the connection: a one-shot
// SendMessage. Keep a Conn for repeated messages.
func Send(ctx context.Context, addr string, m Message) (Reply, error) {
	c, err := Dial(ctx, addr)
	if err != nil {
		return Reply{}, err
	}
	defer c.Close()
	return c.Send(ctx, m)
}

// Post dials addr, posts m, and closes the connection once the receiver
// has accepted it: a one-shot PostMessage that carries data.
func Post(ctx context.Context, addr string, m Message) error {
	c, err := Dial(ctx, addr)
	if err != nil {
		return err
	}
	if err := c.Post(ctx, m); err != nil {
		c.Close()
		return err
	}
	if err := c.Flush(ctx); err != nil {
		c.Close()
		return err
	}
	return c.Close()
}
