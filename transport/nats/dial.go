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

	"github.com/postbox-ipc/postbox/driver"
)

// defaultWindow bounds a durable conn's unacknowledged Posts.
const defaultWindow = 1024

// Dial implements driver.Transport: addr is "host:port/NAME". It asks the
// name's queue group for an instance (the handshake), so a name nobody
// serves fails with ErrNoEndpoint at once — unless the Transport is
// Durable, whose Posts are kept for an endpoint that has not started yet.
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
	if err := c.start(ctx, cfg); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func newConn(t *Transport, nc *gonats.Conn, a address, cfg *driver.DialConfig) *conn {
	return &conn{t: t, nc: nc, subject: t.subject(a.name), durableSubj: t.durableSubject(a.name),
		inbox:    nc.NewInbox() + "." + strconv.Itoa(os.Getpid()),
		max:      int(min(int64(driver.MaxSizeOr(cfg.MaxSize)), nc.MaxPayload()-headerRoom)),
		replyMax: int(driver.MaxSizeOr(cfg.MaxSize)), window: 1, slots: 1, winBytes: 1 << 62, freeBytes: 1 << 62,
		liveness: t.liveness(), closeTO: driver.CloseOr(cfg.CloseTimeout),
		pending: map[uint64]*waiter{}, space: make(chan struct{}, 1), dead: make(chan struct{}),
		stop: make(chan struct{}),
		peer: driver.Peer{PID: -1, UID: -1, GID: -1, Transport: Scheme, Addr: Scheme + "://" + a.display + "/" + a.name}}
}

// start subscribes to the inbox, shakes hands and starts the watchdog.
func (c *conn) start(ctx context.Context, cfg *driver.DialConfig) error {
	if _, err := c.nc.Subscribe(c.inbox+".*", c.onAnswer); err != nil {
		return fmt.Errorf("subscribe %s: %w", c.inbox, err)
	}
	err := c.hello(ctx, cfg)
	if c.t.Durable && errors.Is(err, driver.ErrNoEndpoint) {
		err = nil // Posts wait in the stream; Sends fail until a redial
	}
	if err != nil {
		return err
	}
	if c.t.Durable {
		if err := c.startDurable(ctx); err != nil {
			return err
		}
	}
	c.wg.Add(1)
	go c.watchdog()
	return nil
}

// hello asks the name's queue group for an instance, with its PID, size
// limit and window.
func (c *conn) hello(ctx context.Context, cfg *driver.DialConfig) error {
	hctx, cancel := context.WithTimeout(ctx, driver.HandshakeOr(cfg.HandshakeTimeout))
	defer cancel()
	m := &gonats.Msg{Subject: c.subject, Header: gonats.Header{HeaderKind: {KindHello}}}
	res, err := c.nc.RequestMsgWithContext(hctx, m)
	switch {
	case errors.Is(err, gonats.ErrNoResponders):
		return fmt.Errorf("%w: nobody serves %s", driver.ErrNoEndpoint, c.subject)
	case err != nil && ctx.Err() != nil:
		return ctxErr(ctx)
	case err != nil:
		return fmt.Errorf("%w: %s did not answer: %v", driver.ErrNoEndpoint, c.subject, err)
	case res.Header.Get(HeaderInstance) == "":
		return fmt.Errorf("%w: %s answered the handshake without an instance", driver.ErrProtocol, c.subject)
	}
	c.inst = res.Header.Get(HeaderInstance)
	if pid, err := strconv.Atoi(res.Header.Get(HeaderPID)); err == nil {
		c.peer.PID = pid
	}
	if n, err := strconv.Atoi(res.Header.Get(HeaderMaxSize)); err == nil && n > 0 {
		c.max = min(c.max, n)
	}
	if n, err := strconv.Atoi(res.Header.Get(HeaderWindow)); err == nil && n > 0 {
		c.window, c.slots = n, n
	}
	if n, err := strconv.ParseInt(res.Header.Get(HeaderWindowB), 10, 64); err == nil && n > 0 {
		c.winBytes, c.freeBytes = n, n
		c.max = int(min(int64(c.max), n))
	}
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

// lose counts a durable Post JetStream did not take.
func (c *conn) lose(err error) {
	c.mu.Lock()
	c.refusals++
	if c.refusal == nil {
		c.refusal = fmt.Errorf("%w: jetstream: %v", driver.ErrPeerGone, err)
	}
	c.mu.Unlock()
}

// watchdog fails the connection when the instance has been silent for
// the liveness period while messages are outstanding, or NATS is down.
func (c *conn) watchdog() {
	defer c.wg.Done()
	tk := time.NewTicker(c.liveness / 4)
	defer tk.Stop()
	for {
		select {
		case <-c.stop:
			return
		case now := <-tk.C:
			if st := c.nc.Status(); st != gonats.CONNECTED {
				c.fail(fmt.Errorf("%w: disconnected from NATS (%v)", driver.ErrPeerGone, st))
				continue
			}
			c.mu.Lock()
			busy := !c.idleLocked()
			silent := now.Sub(c.lastHeard) > c.liveness
			c.mu.Unlock()
			if busy && silent {
				c.fail(fmt.Errorf("%w: no sign of life from %s for %v", driver.ErrPeerGone, c.subject, c.liveness))
			}
		}
	}
}
