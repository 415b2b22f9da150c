package postbox

import (
	"context"

	"github.com/postbox-ipc/postbox/driver"

	// The default transports register themselves.
	_ "github.com/postbox-ipc/postbox/transport/inproc"
	_ "github.com/postbox-ipc/postbox/transport/shm"
	_ "github.com/postbox-ipc/postbox/transport/tcp"
	_ "github.com/postbox-ipc/postbox/transport/unix"
)

// Transport carries messages for one address scheme ("unix", "tcp", …).
// Transports register themselves by scheme; a program names one only to
// give an endpoint or a dialer its own configured instance, through
// ListenConfig.Transports or Dialer.Transports — for example a *tcp.Transport
// with TLS settings. Package driver explains how to write one.
type Transport interface {
	// Scheme is the address prefix it serves, e.g. "tcp".
	Scheme() string
	// Listen makes an endpoint reachable at addr (without its scheme)
	// and feeds what arrives to the endpoint's message loop.
	Listen(ctx context.Context, addr string, loop *driver.Loop, cfg *driver.ListenConfig) (driver.Listener, error)
	// Dial connects to the endpoint at addr (without its scheme).
	Dial(ctx context.Context, addr string, cfg *driver.DialConfig) (driver.Conn, error)
}

// Every Transport is a driver.Transport, and the other way round.
var _ driver.Transport = Transport(nil)
