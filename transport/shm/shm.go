// Package shm is the Postbox transport over shared memory, the fastest
// path between two processes on one Linux host. Addresses are those of
// the unix transport with the scheme "shm": "shm:NAME" or
// "shm:/absolute/path.sock".
//
// A shm connection starts as a unix one — the same socket, the same kernel
// peer credentials and access policy — and is upgraded in the handshake:
// the endpoint passes the client a sealed memfd holding two rings, one per
// direction, and from then on frames travel through shared memory while
// the socket stays open only to tell each side when the other is gone.
// Every unix endpoint on Linux accepts the upgrade, so "shm:NAME" reaches
// endpoints listening as "unix:NAME" or "NAME" too. See internal/shm for
// the rings, their waiting strategy and their defences against a hostile
// peer.
//
// On other systems Listen and Dial return an error matching
// errors.ErrUnsupported.
package shm

import (
	"context"
	"fmt"
	"strings"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/shm"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// Scheme is this transport's address prefix.
const Scheme = shm.Scheme

// base is the transport whose sockets shm connections are set up over.
const base = "unix"

func init() { driver.Register(Transport{}) }

// Transport implements driver.Transport.
type Transport struct{}

// Scheme implements driver.Transport.
func (Transport) Scheme() string { return Scheme }

// Listen implements driver.Transport: it listens as the unix transport
// does, which accepts shared-memory upgrades, and reports shm addresses.
func (Transport) Listen(ctx context.Context, name string, loop *dispatch.Loop, cfg *driver.ListenConfig) (driver.Listener, error) {
	u, err := baseTransport()
	if err != nil {
		return nil, err
	}
	ln, err := u.Listen(ctx, name, loop, cfg)
	if err != nil {
		return nil, err
	}
	return listener{ln}, nil
}

// Dial implements driver.Transport: it dials as the unix transport does
// and requires the upgrade.
func (Transport) Dial(ctx context.Context, addr string, cfg *driver.DialConfig) (transport.Conn, error) {
	u, err := baseTransport()
	if err != nil {
		return nil, err
	}
	c := *cfg
	c.Upgrade = shm.Client()
	return u.Dial(ctx, addr, &c)
}

// baseTransport finds the unix transport through the registry (transports
// do not import each other).
func baseTransport() (driver.Transport, error) {
	if err := shm.Supported(); err != nil {
		return nil, err
	}
	u, err := driver.Lookup(base)
	if err != nil {
		return nil, fmt.Errorf("%w: shm needs the %s transport", err, base)
	}
	return u, nil
}

type listener struct{ driver.Listener }

// Addr reports the socket's address with the shm scheme.
func (l listener) Addr() string {
	return Scheme + ":" + strings.TrimPrefix(l.Listener.Addr(), base+":")
}
