package winmsg

import (
	"context"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// Scheme is this transport's address prefix.
const Scheme = "winmsg"

// ClassName is the window class of every Postbox endpoint's window.
const ClassName = "PostboxEndpoint"

// Transport implements driver.Transport.
type Transport struct{}

// Scheme implements driver.Transport.
func (Transport) Scheme() string { return Scheme }

// Listen implements driver.Transport: it creates the endpoint's window,
// titled name.
func (Transport) Listen(ctx context.Context, name string, loop *dispatch.Loop, cfg *driver.ListenConfig) (driver.Listener, error) {
	return listen(ctx, name, loop, cfg)
}

// Dial implements driver.Transport: it finds the window addr names.
func (Transport) Dial(ctx context.Context, addr string, cfg *driver.DialConfig) (transport.Conn, error) {
	target, err := ParseAddr(addr)
	if err != nil {
		return nil, err
	}
	return dial(ctx, target, cfg)
}
