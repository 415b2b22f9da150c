//go:build !linux

package shm

import (
	"net"

	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// Supported reports whether this OS can carry connections in shared
// memory: not yet here (Linux only).
func Supported() error { return ErrUnsupported }

// Endpoint offers no upgrade on this OS.
func Endpoint(int, int) *driver.Upgrade { return nil }

// Client asks for an upgrade no endpoint here can grant; its Receive fails.
func Client() *driver.Upgrade {
	return &driver.Upgrade{Flag: flag(), Scheme: Scheme,
		Receive: func(net.Conn) (*wire.Welcome, net.Conn, error) { return nil, nil, ErrUnsupported }}
}
