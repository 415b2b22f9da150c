package nats

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	gonats "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/driver"
)

// defaultWindow bounds a durable conn's unacknowledged Posts, and any conn's
// before the endpoint said how long its queue is.
const defaultWindow = 1024

// Dial implements driver.Transport: addr is "host:port/NAME". It asks the
// endpoint for its limits first, so a name nobody serves fails with
// ErrNoEndpoint at once — unless the Transport is Durable, whose Posts are
// kept for an endpoint that has not started yet.
func (t *Transport) Dial(ctx context.Context, addr string, cfg *driver.DialConfig) (driver.Conn, error) {
	a, err := parseAddr(addr, true)
	if err != nil {
		return nil, err
	}
	nc, err := t.connect(ctx, a, "client")
	if err != nil {
		return nil, err
	}
	c := newConn(t, nc, a, cfg)
	if err := c.start(); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.hello(ctx, cfg); err != nil && !(t.Durable && errors.Is(err, postbox.ErrNoEndpoint)) {
		c.Close()
		return nil, err
	}
	if t.Durable {
		if err := c.startDurable(ctx); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// hello asks the endpoint for its PID, size limit and queue length.
func (c *conn) hello(ctx context.Context, cfg *driver.DialConfig) error {
	hctx, cancel := context.WithTimeout(ctx, driver.HandshakeOr(cfg.HandshakeTimeout))
	defer cancel()
	m := &gonats.Msg{Subject: c.subject, Header: gonats.Header{HeaderKind: {KindHello}}}
	res, err := c.nc.RequestMsgWithContext(hctx, m)
	switch {
	case errors.Is(err, gonats.ErrNoResponders):
		return fmt.Errorf("%w: nobody serves %s", postbox.ErrNoEndpoint, c.subject)
	case err != nil && ctx.Err() != nil:
		return ctxErr(ctx)
	case err != nil:
		return fmt.Errorf("%w: %s did not answer: %v", postbox.ErrNoEndpoint, c.subject, err)
	}
	if pid, err := strconv.Atoi(res.Header.Get(HeaderPID)); err == nil {
		c.peer.PID = pid
	}
	if n, err := strconv.Atoi(res.Header.Get(HeaderMaxSize)); err == nil && n > 0 {
		c.max = min(c.max, n)
	}
	if n, err := strconv.Atoi(res.Header.Get(HeaderWindow)); err == nil && n > 0 {
		c.mu.Lock()
		c.slots += n - c.window
		c.window = n
		c.mu.Unlock()
	}
	return nil
}

func newConn(t *Transport, nc *gonats.Conn, a address, cfg *driver.DialConfig) *conn {
	c := &conn{t: t, nc: nc, subject: t.subject(a.name), ctl: t.ctlSubject(a.name),
		inbox: nc.NewInbox(), sender: strconv.Itoa(os.Getpid()) + "/" + nc.NewInbox()[len(gonats.InboxPrefix):],
		max:      int(min(int64(driver.MaxSizeOr(cfg.MaxSize)), nc.MaxPayload()-headerRoom)),
		replyMax: int(driver.MaxSizeOr(cfg.MaxSize)), window: defaultWindow, slots: defaultWindow,
		liveness: t.liveness(), closeTO: driver.CloseOr(cfg.CloseTimeout),
		pending: map[uint64]*waiter{}, space: make(chan struct{}, 1), acked: make(chan struct{}, 1), stop: make(chan struct{}),
		peer: postbox.Peer{PID: -1, UID: -1, GID: -1, Transport: Scheme, Addr: Scheme + "://" + a.display + "/" + a.name}}
	c.durableSubj = t.durableSubject(a.name)
	return c
}

// start subscribes to the conn's inbox and starts its watchdog.
func (c *conn) start() error {
	sub, err := c.nc.Subscribe(c.inbox+".*", c.onAnswer)
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", c.inbox, err)
	}
	c.sub = sub
	c.wg.Add(1)
	go c.watchdog()
	return nil
}

// startDurable prepares JetStream publishing.
func (c *conn) startDurable(ctx context.Context) error {
	js, err := jetstream.New(c.nc, jetstream.WithPublishAsyncMaxPending(defaultWindow),
		jetstream.WithPublishAsyncTimeout(durablePubTimeout),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, _ *gonats.Msg, err error) { c.lose(err) }))
	if err != nil {
		return err
	}
	c.js = js
	return ensureStream(ctx, js, c.t)
}

// watchdog fails Sends and Posts that have shown no sign of life for the
// liveness period, and everything when the NATS connection is down.
func (c *conn) watchdog() {
	defer c.wg.Done()
	tk := time.NewTicker(c.liveness / 4)
	defer tk.Stop()
	for {
		select {
		case <-c.stop:
			return
		case now := <-tk.C:
			if c.nc.Status() != gonats.CONNECTED {
				c.failAll(fmt.Errorf("%w: disconnected from NATS (%v)", postbox.ErrPeerGone, c.nc.Status()))
				continue
			}
			c.expire(now)
		}
	}
}
