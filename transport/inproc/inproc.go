// Package inproc is the Postbox transport inside one process: "inproc:NAME"
// reaches an endpoint of the same process with no system call — the seed's
// same-process WM_USER case. A Send runs the handler in the caller's
// goroutine when the endpoint is idle.
//
// Buffers follow the rule of every transport: a message's Data is copied
// on its way in and a reply's on its way out, so a caller may reuse its
// buffer as soon as a call returns, and what a handler or caller receives
// is its own to keep. A Dialer with NoCopy set hands Data over without the
// copy: ownership passes, and the caller must not touch the slice again.
package inproc

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// Scheme is this transport's address prefix.
const Scheme = "inproc"

func init() { driver.Register(Transport{}) }

// Transport implements driver.Transport.
type Transport struct{}

var (
	mu        sync.Mutex
	endpoints = map[string]*listener{}
)

// Scheme implements driver.Transport.
func (Transport) Scheme() string { return Scheme }

// Listen implements driver.Transport: name becomes reachable in this process.
func (Transport) Listen(_ context.Context, name string, loop *dispatch.Loop, cfg *driver.ListenConfig) (driver.Listener, error) {
	mu.Lock()
	defer mu.Unlock()
	if _, ok := endpoints[name]; ok {
		return nil, fmt.Errorf("%w: inproc:%s", transport.ErrNameInUse, name)
	}
	l := &listener{name: name, loop: loop, cfg: cfg}
	endpoints[name] = l
	return l, nil
}

type listener struct {
	name string
	loop *dispatch.Loop
	cfg  *driver.ListenConfig

	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool
}

func (l *listener) Addr() string { return Scheme + ":" + l.name }

var _ driver.Drainer = (*listener)(nil)

// Drain frees the name for a successor; open connections go on, and the
// loop refuses their new messages.
func (l *listener) Drain() error {
	mu.Lock()
	if endpoints[l.name] == l {
		delete(endpoints, l.name)
	}
	mu.Unlock()
	return nil
}

func (l *listener) Close() error {
	_ = l.Drain()
	l.mu.Lock()
	l.closed = true
	conns := l.conns
	l.conns = nil
	l.mu.Unlock()
	for c := range conns {
		c.src.Detach(transport.ErrPeerGone)
	}
	return nil
}

// Dial implements driver.Transport.
func (Transport) Dial(_ context.Context, name string, cfg *driver.DialConfig) (transport.Conn, error) {
	mu.Lock()
	l := endpoints[name]
	mu.Unlock()
	if l == nil {
		return nil, fmt.Errorf("%w: inproc:%s", transport.ErrNoEndpoint, name)
	}
	peer := transport.Peer{PID: os.Getpid(), UID: os.Getuid(), GID: os.Getgid(), Transport: Scheme}
	if l.cfg.Auth != nil {
		if err := l.cfg.Auth(peer); err != nil {
			return nil, fmt.Errorf("%w: %v", transport.ErrDenied, err)
		}
	}
	c := &conn{l: l, max: int(driver.MaxSizeOr(l.cfg.MaxSize)), replyMax: int(driver.MaxSizeOr(cfg.MaxSize)), noCopy: cfg.NoCopy}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, fmt.Errorf("%w: inproc:%s", transport.ErrNoEndpoint, name)
	}
	// Every connection in the process is of the same user.
	if n := len(l.conns); n >= l.cfg.MaxConnsOr() || l.cfg.MaxConnsPerUser > 0 && n >= l.cfg.MaxConnsPerUser {
		return nil, fmt.Errorf("%w: inproc:%s: too many connections", transport.ErrLimit, name)
	}
	c.src = l.loop.Attach(peer, c, l.cfg.QueueLenOr())
	c.src.SetByteLimit(l.cfg.QueueBytesOr())
	if l.conns == nil {
		l.conns = map[*conn]struct{}{}
	}
	l.conns[c] = struct{}{}
	return c, nil
}
