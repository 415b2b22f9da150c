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

	closeOnce sync.Once
	closeErr  error
}

// Listen creates an endpoint at addr — a bare name in the user's namespace
// on the platform's default transport, or "unix:NAME", "unix:/path.sock",
// "inproc:NAME" — and starts serving h. A name held by a live endpoint fails
// with ErrNameInUse; one left by a dead owner is taken over.
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
	t, rest, err := lookup(addr)
	if err != nil {
		return nil, err
	}
	cfg := lc.driverConfig()
	e := &Endpoint{addr: addr, started: time.Now()}
	if t.Scheme() == inproc.Scheme {
		e.name = rest
	} else if err := e.claimName(rest, lc.System, cfg); err != nil {
		return nil, err
	}
	cfg.Name = e.name
	e.loop = dispatch.New(h.ServeMessage, dispatch.Config{Concurrency: lc.Concurrency, Logger: lc.Logger})
	if err := e.listenAll(ctx, t, rest, cfg, lc.Also); err != nil {
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
func (e *Endpoint) listenAll(ctx context.Context, t driver.Transport, rest string, cfg *driver.ListenConfig, also []string) error {
	name := e.name
	if t.Scheme() == inproc.Scheme {
		name = rest
	}
	ln, err := t.Listen(ctx, name, e.loop, cfg)
	if err != nil {
		return err
	}
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
	for _, a := range also {
		t, rest, err := lookup(a)
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

func (lc *ListenConfig) driverConfig() *driver.ListenConfig {
	return &driver.ListenConfig{
		MaxSize:          uint32(max(lc.MaxSize, 0)),
		QueueLen:         lc.QueueLen,
		QueueBytes:       lc.QueueBytes,
		HandshakeTimeout: lc.HandshakeTimeout,
		MaxConns:         lc.MaxConns,
		MaxConnsPerUser:  lc.MaxConnsPerUser,
		ShmRingSize:      lc.ShmRingSize,
		Auth:             lc.authorize,
		Shared:           lc.AllowAnyUser || len(lc.AllowUIDs) > 0 || len(lc.AllowGIDs) > 0,
		Logger:           lc.Logger,
	}
}

// authorize is the access policy: the endpoint's own user, listed users and
// groups, or anyone with AllowAnyUser. A peer without kernel credentials
// must have been authenticated by its transport.
func (lc *ListenConfig) authorize(p Peer) error {
	switch {
	case lc.AllowAnyUser, sameUserSID(p):
		return nil
	case p.UID < 0 && p.Identity != "":
		return nil
	case p.SID != "":
		return fmt.Errorf("user %s not allowed", p.SID)
	case p.UID < 0:
		return errors.New("peer has no credentials")
	case p.UID == os.Geteuid(), slices.Contains(lc.AllowUIDs, p.UID), slices.Contains(lc.AllowGIDs, p.GID):
		return nil
	}
	return fmt.Errorf("uid %d not allowed", p.UID)
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

// Shutdown waits until every accepted message has been handled (or ctx
// ends), then closes the endpoint. Connections stay open meanwhile, so
// queued Sends are answered.
func (e *Endpoint) Shutdown(ctx context.Context) error {
	if err := e.loop.Drain(ctx); err != nil {
		return errors.Join(opErr("shutdown", e.addr, err), e.Close())
	}
	return e.Close()
}

// Close stops the endpoint at once: it stops accepting, cancels running
// handlers' contexts and waits for them, closes every connection and gives
// up the name. Accepted Posts that were never handled are reported in the
// error. Close is idempotent.
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
				errs = append(errs, fmt.Errorf("%d accepted posted message(s) were not handled", n))
			}
		}
		if e.claim != nil {
			errs = append(errs, e.claim.Release())
		}
		e.closeErr = opErr("close", e.addr, errors.Join(errs...))
	})
	return e.closeErr
}
