package postbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/namespace"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/watch"
	"github.com/postbox-ipc/postbox/transport/inproc"
)

// Endpoint is a named receiver: the window of the Windows model. It accepts
// connections on one or more transports and passes every message to its
// Handler. Its methods are safe for concurrent use.
type Endpoint struct {
	name    string
	addr    string
	loop    *dispatch.Loop
	claim   *namespace.Claim
	lns     []driver.Listener
	started time.Time
	feed    *watch.Feed

	noWatch   bool
	watchUIDs []int
	watchIDs  []string

	closeOnce   sync.Once
	closeErr    error
	done        chan struct{} // closed when Close has finished
	releaseOnce sync.Once
	releaseErr  error
}

// Listen creates an endpoint at addr — a bare name in the user's namespace
// on the platform's default transport, or "unix:NAME", "unix:/path.sock",
// "inproc:NAME" — and starts serving h. A name held by a live endpoint fails
// with ErrNameInUse; one left by a dead owner is taken over.
//
// To make a named endpoint reachable from other hosts too, list a network
// address in ListenConfig.Also (WithAlso("tcp://0.0.0.0:7000")). A network
// address can also be the main one ("tcp://127.0.0.1:7000/NAME",
// "nats://host:4222/NAME"): then no local name is claimed and the endpoint
// is reachable only over that transport and in-process.
func Listen(addr string, h Handler, opts ...ListenOption) (*Endpoint, error) {
	var lc ListenConfig
	for _, o := range opts {
		o(&lc)
	}
	return lc.Listen(context.Background(), addr, h)
}

// Listen creates an endpoint at addr with lc's settings; see Listen.
func (lc *ListenConfig) Listen(ctx context.Context, addr string, h Handler) (*Endpoint, error) {
	if h == nil {
		return nil, opErr("listen", addr, fmt.Errorf("%w: nil handler", ErrBadAddress))
	}
	e, err := lc.listen(ctx, addr, h)
	return e, opErr("listen", addr, err)
}

func (lc *ListenConfig) listen(ctx context.Context, addr string, h Handler) (*Endpoint, error) {
	t, rest, err := lookup(addr, lc.Transports)
	if err != nil {
		return nil, err
	}
	pol, err := lc.policy()
	if err != nil {
		return nil, err
	}
	cfg := lc.driverConfig(pol)
	e := &Endpoint{addr: addr, started: time.Now(), noWatch: lc.NoWatch, watchUIDs: slices.Clone(lc.WatchUIDs),
		watchIDs: slices.Clone(lc.WatchIdentities),
		done:     make(chan struct{})}
	remote, isRemote := t.(driver.Remote)
	switch {
	case t.Scheme() == inproc.Scheme:
		e.name = rest
	case isRemote:
		e.name, err = remote.EndpointName(rest)
	default:
		err = e.claimName(rest, lc.System, cfg)
	}
	if err != nil {
		return nil, err
	}
	cfg.Name = e.name
	if lc.SocketActivation {
		if cfg.Listener, err = inherited(t.Scheme(), e.name); err != nil {
			e.Close()
			return nil, err
		}
	}
	e.loop = dispatch.New(handlerFunc(h), lc.loopConfig(e))
	e.feed = watch.New(e.loop)
	if err := e.listenAll(ctx, t, rest, cfg, lc); err != nil {
		e.Close()
		return nil, err
	}
	if e.claim != nil {
		if err := e.claim.Publish(e.info()); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// claimName takes the endpoint's name in its namespace.
func (e *Endpoint) claimName(rest string, system bool, cfg *driver.ListenConfig) error {
	var ns *namespace.Namespace
	var err error
	if strings.HasPrefix(rest, "/") {
		ns, e.name, err = namespace.ForPath(rest)
	} else {
		e.name = rest
		if err = namespace.ValidName(rest); err == nil {
			ns, err = namespace.Open(system)
		}
	}
	if err != nil {
		return err
	}
	e.claim, err = ns.Claim(e.name)
	cfg.Namespace = ns
	return err
}

// listenAll starts the main transport, the in-process one, and any extras.
func (e *Endpoint) listenAll(ctx context.Context, t driver.Transport, rest string, cfg *driver.ListenConfig, lc *ListenConfig) error {
	name := e.name
	if _, remote := t.(driver.Remote); remote || t.Scheme() == inproc.Scheme {
		name = rest
	}
	ln, err := t.Listen(ctx, name, e.loop, cfg)
	if err != nil {
		if cfg.Listener != nil {
			cfg.Listener.Close()
		}
		return err
	}
	cfg.Listener = nil // the main transport's alone
	e.lns = append(e.lns, ln)
	if t.Scheme() != inproc.Scheme {
		// Reachable in-process too, where the name is free.
		if ln, err := (inproc.Transport{}).Listen(ctx, e.name, e.loop, cfg); err == nil {
			e.lns = append(e.lns, ln)
		}
		if err := e.listenCompanions(ctx, t.Scheme(), cfg); err != nil {
			return err
		}
	}
	for _, a := range lc.Also {
		t, rest, err := lookup(a, lc.Transports)
		if err != nil {
			return err
		}
		ln, err := t.Listen(ctx, rest, e.loop, cfg)
		if err != nil {
			return err
		}
		e.lns = append(e.lns, ln)
	}
	return nil
}

// listenCompanions starts the transports every endpoint on this OS has
// besides its own (on Windows, its window), under the endpoint's name.
func (e *Endpoint) listenCompanions(ctx context.Context, own string, cfg *driver.ListenConfig) error {
	for _, scheme := range companions {
		if scheme == own {
			continue
		}
		t, err := driver.Lookup(scheme)
		if err != nil {
			return err
		}
		ln, err := t.Listen(ctx, e.name, e.loop, cfg)
		if err != nil {
			return err
		}
		e.lns = append(e.lns, ln)
	}
	return nil
}

// loopConfig sets up e's message loop: the handler's concurrency, the
// connection hooks and the reserved messages.
func (lc *ListenConfig) loopConfig(e *Endpoint) dispatch.Config {
	onConnect, onDisconnect := lc.OnConnect, lc.OnDisconnect
	cfg := dispatch.Config{Concurrency: lc.Concurrency, Logger: lc.Logger, Control: e.control, MaxMemory: lc.maxMemory()}
	if onConnect != nil {
		cfg.OnAttach = func(s *dispatch.Source) { onConnect(Peer(s.Peer())) }
	}
	cfg.OnDetach = func(s *dispatch.Source) {
		e.feed.Drop(s)
		if onDisconnect != nil {
			onDisconnect(Peer(s.Peer()))
		}
	}
	return cfg
}

// maxConnsPerUser is the per-user quota: in the system namespace, which
// serves many users, a quarter of MaxConns unless set (-1: none), so that
// one user cannot lock the others out.
func (lc *ListenConfig) maxConnsPerUser() int {
	switch {
	case lc.MaxConnsPerUser < 0:
		return 0
	case lc.MaxConnsPerUser == 0 && lc.System:
		conns := lc.MaxConns
		if conns <= 0 {
			conns = driver.DefaultMaxConns
		}
		return max(1, conns/systemUserShare)
	}
	return lc.MaxConnsPerUser
}

// maxMemory is the budget for the loop: 0 for none.
func (lc *ListenConfig) maxMemory() int64 {
	switch {
	case lc.MaxMemory < 0:
		return 0
	case lc.MaxMemory == 0:
		return driver.DefaultMaxMemory
	}
	return lc.MaxMemory
}

// systemUserShare: one user may hold 1/systemUserShare of a system
// endpoint's connections by default (256 of 1,024, as dbus-daemon allows
// 256 per user).
const systemUserShare = 4

func (lc *ListenConfig) driverConfig(pol *policy) *driver.ListenConfig {
	return &driver.ListenConfig{
		MaxSize:          uint32(max(lc.MaxSize, 0)),
		QueueLen:         lc.QueueLen,
		QueueBytes:       lc.QueueBytes,
		HandshakeTimeout: lc.HandshakeTimeout,
		MaxConns:         lc.MaxConns,
		MaxConnsPerUser:  lc.maxConnsPerUser(),
		MaxHandshakes:    lc.MaxHandshakes,
		FrameTimeout:     lc.FrameTimeout,
		ShmRingSize:      lc.ShmRingSize,
		ShmArenaSize:     lc.ShmArenaSize,
		ReuseBuffers:     lc.ReuseBuffers,
		InPlace:          lc.InPlace,
		Auth:             func(p transport.Peer) error { return pol.admit(Peer(p)) },
		Shared:           pol.shared(),
		AllowSIDs:        pol.sids,
		Logger:           lc.Logger,
	}
}

func (e *Endpoint) info() namespace.Info {
	prog, _ := os.Executable()
	return namespace.Info{Name: e.name, PID: os.Getpid(), Program: prog, UID: os.Geteuid(), SID: selfSID(),
		Started: e.started.UTC(), Transports: e.Addrs()}
}

// Name is the endpoint's name.
func (e *Endpoint) Name() string { return e.name }

// Addrs lists the addresses clients can dial, one per transport.
func (e *Endpoint) Addrs() []string {
	out := make([]string, len(e.lns))
	for i, ln := range e.lns {
		out[i] = ln.Addr()
	}
	return out
}

// Shutdown closes the endpoint gracefully. At once it stops accepting: new
// connections are refused (the dialer sees ErrNoEndpoint) and the name is
// given up, so a successor can Listen on it while this endpoint finishes;
// open connections are told that no new message will be accepted — a Send
// then fails with an error matching ErrClosed, and a Post is reported by the
// sender's Flush or Close as a *LostError, never dropped unseen. Every
// message accepted before, queued or running, is handled and answered.
//
// When none is left, or when ctx ends, Shutdown closes the endpoint as Close
// does. If ctx ended first the error matches ErrTimeout (or
// context.Canceled), running handlers are cancelled, and accepted posted
// messages that were never handled are reported as an *UnhandledError.
func (e *Endpoint) Shutdown(ctx context.Context) error {
	var errs []error
	for _, ln := range e.lns {
		if d, ok := ln.(driver.Drainer); ok {
			errs = append(errs, d.Drain())
		}
	}
	errs = append(errs, e.releaseName())
	e.loop.StopAccepting() // from here Stats().Draining: the name is free
	errs = append(errs, e.loop.Drain(ctx))
	if err := e.Close(); err != nil {
		errs = append(errs, err.(*OpError).Err)
	}
	return opErr("shutdown", e.addr, errors.Join(errs...))
}

// releaseName gives up the endpoint's name, once.
func (e *Endpoint) releaseName() error {
	e.releaseOnce.Do(func() {
		if e.claim != nil {
			e.releaseErr = e.claim.Release()
		}
	})
	return e.releaseErr
}

// Close stops the endpoint at once: it stops accepting, cancels running
// handlers' contexts and waits for them, closes every connection and gives
// up the name. Sends not yet handled fail for their senders; accepted posted
// messages that were never handled are reported in the error, as an
// *UnhandledError. Close is idempotent.
func (e *Endpoint) Close() error {
	e.closeOnce.Do(func() {
		var errs []error
		if e.loop != nil {
			e.loop.Close()
		}
		for _, ln := range e.lns {
			errs = append(errs, ln.Close())
		}
		if e.loop != nil {
			if n := e.loop.Unhandled(); n > 0 {
				errs = append(errs, &UnhandledError{Posts: n})
			}
		}
		errs = append(errs, e.releaseName())
		e.closeErr = opErr("close", e.addr, errors.Join(errs...))
		close(e.done)
	})
	return e.closeErr
}

// Done returns a channel that is closed once the endpoint has closed: Close
// or Shutdown has finished, from whichever goroutine called it. A program
// whose work is serving an endpoint can block on it, as on
// http.Server's ListenAndServe:
//
//	<-ep.Done()
func (e *Endpoint) Done() <-chan struct{} { return e.done }
