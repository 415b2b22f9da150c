// Package unix is the Postbox transport over Unix domain sockets, the
// default on Linux and macOS. Addresses: "unix:NAME" (a socket in the
// namespace) or "unix:/absolute/path.sock".
//
// The socket is created 0600 in a 0700 directory, and every connection's
// peer is identified by the kernel (SO_PEERCRED, getpeereid) before the
// endpoint's access policy admits it.
//
// On Linux every endpoint also accepts the shared-memory upgrade that
// "shm:" clients ask for in the handshake (see transport/shm).
package unix

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/namespace"
	"github.com/postbox-ipc/postbox/internal/peercred"
	"github.com/postbox-ipc/postbox/internal/session"
	"github.com/postbox-ipc/postbox/internal/shm"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// Scheme is this transport's address prefix.
const Scheme = "unix"

func init() { driver.Register(Transport{}) }

// Transport implements driver.Transport.
type Transport struct{}

// Scheme implements driver.Transport.
func (Transport) Scheme() string { return Scheme }

// Listen implements driver.Transport. The name must already be claimed in
// cfg.Namespace.
func (Transport) Listen(ctx context.Context, name string, loop *dispatch.Loop, cfg *driver.ListenConfig) (driver.Listener, error) {
	path := cfg.Namespace.Path(name, "sock")
	if cfg.Listener != nil {
		return serveInherited(path, loop, cfg)
	}
	if err := checkPathLen(path); err != nil {
		return nil, err
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	mode := os.FileMode(0o600)
	if cfg.Namespace.System || cfg.Shared {
		mode = 0o666 // the access policy checks each peer's credentials
	}
	if err := os.Chmod(path, mode); err != nil {
		ln.Close()
		os.Remove(path)
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	srv := session.Serve(ln, loop, withUpgrade(cfg), peerOf)
	return &listener{srv: srv, path: path}, nil
}

// serveInherited serves a socket handed over by a service manager. Its file
// is the manager's: never chmod-ed or removed here.
func serveInherited(path string, loop *dispatch.Loop, cfg *driver.ListenConfig) (driver.Listener, error) {
	ln, ok := cfg.Listener.(*net.UnixListener)
	if !ok {
		return nil, fmt.Errorf("%w: an inherited %T is not a Unix socket", transport.ErrBadAddress, cfg.Listener)
	}
	ln.SetUnlinkOnClose(false)
	got := ln.Addr().String()
	if got != path {
		driver.LoggerOr(cfg.Logger).Warn("postbox: the inherited socket is not at the endpoint's path: clients dialing the name will not find it",
			"endpoint", cfg.Name, "socket", got, "want", path)
	}
	srv := session.Serve(ln, loop, withUpgrade(cfg), peerOf)
	return &listener{srv: srv, path: got, removed: true}, nil
}

// withUpgrade returns cfg with the shared-memory upgrade offered to
// clients that ask, where the OS supports it and cfg names no other.
func withUpgrade(cfg *driver.ListenConfig) *driver.ListenConfig {
	if cfg.Upgrade != nil {
		return cfg
	}
	c := *cfg
	c.Upgrade = shm.Endpoint(cfg.ShmRingSize, cfg.ShmArenaSize)
	return &c
}

func peerOf(c net.Conn) (transport.Peer, error) {
	p, err := peercred.Get(c)
	p.Transport = Scheme
	return p, err
}

type listener struct {
	srv  *session.Server
	path string

	mu      sync.Mutex
	removed bool // the socket file is gone (or was never ours to remove)
}

var _ driver.Drainer = (*listener)(nil)

func (l *listener) Addr() string { return Scheme + ":" + l.path }

// Drain stops accepting and removes the socket file at once, so a
// successor can listen at the same path while open connections finish.
func (l *listener) Drain() error {
	err := l.srv.Drain()
	l.removeSocket()
	return err
}

func (l *listener) Close() error {
	err := l.srv.Close()
	l.removeSocket()
	return err
}

// removeSocket removes the socket file once: after a Drain, the path may
// already belong to a successor.
func (l *listener) removeSocket() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.removed {
		l.removed = true
		os.Remove(l.path)
	}
}

// Dial implements driver.Transport. addr is a name in the namespace or an
// absolute socket path.
func (Transport) Dial(ctx context.Context, addr string, cfg *driver.DialConfig) (transport.Conn, error) {
	path, name, err := Resolve(addr, cfg.System)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, dialErr(ctx, addr, err)
	}
	peer, _ := peercred.Get(c) // unknown fields stay -1
	if filepath.IsAbs(addr) {
		if err := checkServer(path, peer.UID, cfg.TrustUIDs); err != nil {
			c.Close()
			return nil, err
		}
	}
	peer.Transport = Scheme
	peer.Addr = path
	return session.Dial(ctx, c, name, peer, cfg)
}

// Resolve maps an address to its socket path and endpoint name.
func Resolve(addr string, system bool) (path, name string, err error) {
	var ns *namespace.Namespace
	if filepath.IsAbs(addr) {
		ns, name, err = namespace.ForPath(addr)
	} else {
		name = addr
		if err = namespace.ValidName(name); err == nil {
			ns, err = namespace.Open(system)
		}
	}
	if err != nil {
		return "", "", err
	}
	path = ns.Path(name, "sock")
	return path, name, checkPathLen(path)
}

func dialErr(ctx context.Context, addr string, err error) error {
	switch {
	case ctx.Err() != nil:
		return transport.CtxErr(ctx)
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w: %s", transport.ErrNoEndpoint, addr)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Errorf("%w: %s: %v", transport.ErrDenied, addr, err)
	case errors.Is(err, syscall.EAGAIN):
		return fmt.Errorf("%w: %s: listen backlog full", transport.ErrLimit, addr)
	}
	return fmt.Errorf("dial %s: %w", addr, err)
}

// removeStale deletes a socket left by a dead owner. The caller holds the
// name's claim, so no Postbox endpoint owns it; a socket that still answers
// belongs to someone else and is never stolen, and anything that is not a
// socket is left alone.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%w: %s exists and is not a socket", transport.ErrNameInUse, path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("%w: %s is a live socket not owned by Postbox", transport.ErrNameInUse, path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("checking %s: %w", path, err)
	}
	return os.Remove(path)
}

func checkPathLen(path string) error {
	if len(path) > maxPath {
		return fmt.Errorf("%w: socket path is %d bytes, the limit is %d: %s", transport.ErrBadAddress, len(path), maxPath, path)
	}
	return nil
}
