package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/postbox-ipc/postbox/internal/bufpool"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// Client is the sending side of one connection. Its methods are safe for
// concurrent use. See the package transport for the semantics of each call.
type Client struct {
	conn     net.Conn
	w        *frameWriter
	r        *frameReader
	peer     transport.Peer
	peerMax  uint32
	winMsgs  int64
	winBytes int64
	closeTO  time.Duration
	alloc    func(int) []byte
	lastBuf  *[]byte   // the buffer alloc handed out last; owned by the reader
	shared   uint64    // with InPlace: the arena offset of the payload read last
	isShared bool      // whether the payload read last is in the arena
	prevBuf  *[]byte   // the one before it, while a growing reply is copied out of it
	curDL    time.Time // the read deadline in force; owned by the reader

	mu        sync.Mutex
	err       error // set once the connection failed or closed
	draining  error // set once the endpoint said it takes no new messages
	seq       uint64
	calls     map[uint64]*call // Sends and Syncs awaiting an answer
	creditW   []*call          // waiting for credit
	credMsgs  int64
	credBytes int64
	posted    uint64 // Post frames written
	handled   uint64 // Posts the receiver reported handled (credit)
	confirmed uint64 // Posts the receiver confirmed: max(handled, sync ack)
	reading   bool   // a goroutine is reading frames
	needRead  int    // waiters that need someone to read
	woke      bool   // a waiter was woken since the reader last asked (see yield)

	bgKick chan struct{}
	stop   chan struct{}
	wg     sync.WaitGroup
	closed sync.Once
	closeE error
}

var _ transport.Conn = (*Client)(nil)

// AnyName in a Hello asks for whichever endpoint serves the stream, for
// transports with one endpoint per listening address (tcp). No endpoint can
// be named "*".
const AnyName = "*"

// Dial performs the handshake on conn, asking for the endpoint name, and
// returns a Client that owns conn. On failure conn is closed.
func Dial(ctx context.Context, conn net.Conn, name string, peer transport.Peer, cfg *driver.DialConfig) (*Client, error) {
	return DialAuth(ctx, conn, name, nil, peer, cfg)
}

// DialAuth is Dial that sends auth right before the Hello, in the same
// write: a transport's authentication block, which the server's PeerFunc
// reads when it identifies the peer (docs/PROTOCOL.md, "TCP").
func DialAuth(ctx context.Context, conn net.Conn, name string, auth []byte, peer transport.Peer, cfg *driver.DialConfig) (*Client, error) {
	if cfg == nil {
		cfg = &driver.DialConfig{}
	}
	w, up, err := clientHandshake(ctx, conn, name, auth, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if up != conn {
		conn, peer.Transport = up, cfg.Upgrade.Scheme
	}
	if peer.PID <= 0 {
		peer.PID = int(w.PID)
	}
	c := &Client{
		conn:     conn,
		peer:     peer,
		peerMax:  w.MaxSize,
		winMsgs:  int64(w.CreditMsgs),
		winBytes: int64(w.CreditBytes),
		closeTO:  driver.CloseOr(cfg.CloseTimeout),
		calls:    make(map[uint64]*call),
		bgKick:   make(chan struct{}, 1),
		stop:     make(chan struct{}),
	}
	c.credMsgs, c.credBytes = c.winMsgs, c.winBytes
	c.r = newFrameReader(withPoll(conn), driver.MaxSizeOr(cfg.MaxSize))
	c.w = newFrameWriter(conn, sendLimit(c.winBytes, c.winMsgs), 0,
		func(err error) { c.fail(peerGone(err)) }, nil)
	c.alloc = func(n int) []byte {
		// A reply's caller may give its buffer back (Reply.Release): the
		// next reply then allocates nothing. The capacity is cut to the
		// length, so nothing of an earlier reply shows past it.
		c.prevBuf, c.lastBuf = c.lastBuf, bufpool.Get(n)
		return (*c.lastBuf)[:n:n]
	}
	c.r.grown = func() { // the buffer before lastBuf is copied out
		bufpool.Put(c.prevBuf)
		c.prevBuf = nil
	}
	if a := arenaOf(conn); a != nil {
		c.w.arena = a
		c.r.resolve = copyOut(a, c.alloc)
		if cfg.InPlace {
			c.r.resolve = c.inPlace
		}
	}
	c.wg.Add(1)
	go c.background()
	return c, nil
}

// clientHandshake sends the Hello (after auth, if any) and reads the
// Welcome. It returns the conn the session runs over: conn itself, or the
// upgraded one (which owns conn).
func clientHandshake(ctx context.Context, conn net.Conn, name string, auth []byte, cfg *driver.DialConfig) (*wire.Welcome, net.Conn, error) {
	dl := time.Now().Add(driver.HandshakeOr(cfg.HandshakeTimeout))
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	conn.SetDeadline(dl)
	defer conn.SetDeadline(time.Time{})
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(aLongTimeAgo) })
	defer stop()
	hello := wire.Hello{Version: wire.Version, PID: uint32(os.Getpid()), MaxSize: driver.MaxSizeOr(cfg.MaxSize), Name: name}
	if cfg.Upgrade != nil {
		hello.Flags = cfg.Upgrade.Flag
	}
	_, werr := conn.Write(wire.AppendHello(append([]byte(nil), auth...), &hello))
	// Even if writing failed, the server may have answered before closing
	// (a refusal it sends without reading the hello): read that answer.
	w, up, err := readWelcome(conn, cfg.Upgrade)
	if errors.Is(err, errors.ErrUnsupported) {
		return nil, nil, fmt.Errorf("handshake: %w", err) // a required upgrade was not offered
	}
	if err != nil {
		if werr != nil && !errors.Is(err, wire.ErrMalformed) {
			err = werr
		}
		return nil, nil, handshakeErr(ctx, err)
	}
	if w.Status == wire.StatusOK {
		return w, up, nil
	}
	if up != conn {
		up.Close()
	}
	return nil, nil, refusal(w)
}

// readWelcome reads the Welcome, through the upgrade's Receive if the
// client asked for one.
func readWelcome(conn net.Conn, up *driver.Upgrade) (*wire.Welcome, net.Conn, error) {
	if up != nil {
		return up.Receive(conn)
	}
	w, err := wire.ReadWelcome(conn)
	return w, conn, err
}

// refusal is the error for a Welcome that refuses the connection.
func refusal(w *wire.Welcome) error {
	switch w.Status {
	case wire.StatusDenied:
		return fmt.Errorf("%w: %s", transport.ErrDenied, w.Reason)
	case wire.StatusNoEndpoint:
		return fmt.Errorf("%w: %s", transport.ErrNoEndpoint, w.Reason)
	case wire.StatusBusy:
		return fmt.Errorf("%w: %s", transport.ErrLimit, w.Reason)
	case wire.StatusClosing:
		return fmt.Errorf("%w: endpoint closing", transport.ErrNoEndpoint)
	}
	return fmt.Errorf("%w: handshake refused (status %d): %s", transport.ErrProtocol, w.Status, w.Reason)
}

// handshakeErr names a handshake failure: the caller's context, a timeout,
// a server that does not speak the protocol, or one that went away (closed
// or reset the connection: it died, or closed while the connection waited
// to be accepted).
func handshakeErr(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return transport.CtxErr(ctx)
	case os.IsTimeout(err):
		return fmt.Errorf("%w: handshake: %v", transport.ErrTimeout, err)
	case errors.Is(err, wire.ErrMalformed):
		return fmt.Errorf("%w: handshake: %v", transport.ErrProtocol, err)
	}
	return fmt.Errorf("%w: the endpoint closed the connection during the handshake: %w", transport.ErrPeerGone, err)
}

var aLongTimeAgo = time.Unix(1, 0)

// Peer describes the receiving side.
func (c *Client) Peer() transport.Peer { return c.peer }

// MaxSize is the largest payload the receiver accepts.
func (c *Client) MaxSize() int { return int(c.peerMax) }

// Close waits up to the close timeout for the receiver to confirm posted
// messages, then closes the connection. Sends still waiting fail with
// ErrClosed. It returns a *LostError when posted messages went unconfirmed.
func (c *Client) Close() error {
	c.closed.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), c.closeTO)
		c.closeE = c.Flush(ctx)
		cancel()
		c.fail(transport.ErrClosed)
		close(c.stop)
		c.w.close()
		c.wg.Wait()
	})
	return c.closeE
}

// fail ends the connection with err: every waiter is released with err.
func (c *Client) fail(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	var async []*call
	for seq, cl := range c.calls {
		delete(c.calls, seq)
		if cl.abandoned {
			putCall(cl)
			continue
		}
		cl.err = err
		if cl.cb != nil {
			async = append(async, cl)
		}
		c.finish(cl)
	}
	for _, cl := range c.creditW {
		c.finish(cl)
	}
	c.creditW = nil
	c.mu.Unlock()
	c.conn.Close()
	for _, cl := range async {
		if cl.stop != nil {
			cl.stop()
		}
		cl.cb(transport.Reply{}, err)
	}
}

func peerGone(err error) error {
	return fmt.Errorf("%w: %v", transport.ErrPeerGone, err)
}

// sendLimit bounds the bytes a Client's writer may hold. Credit bounds what
// is neither written nor handled to one window (plus a header a message),
// but a write under way holds its whole buffer until it returns, while the
// receiver is already handling its first frames and handing their credit
// back: a second window may queue behind it. Two windows, then, and room
// for the frames that take no credit (Cancel, Sync).
func sendLimit(credit, msgs int64) int {
	return int(2*(credit+msgs*wire.HeaderSize)) + directMin
}
