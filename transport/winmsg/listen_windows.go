package winmsg

import (
	"context"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/namespace"
	"github.com/postbox-ipc/postbox/internal/transport"
)

func init() { driver.Register(Transport{}) }

// listen creates the endpoint's window, titled name, and attaches it to the
// endpoint's loop as one source: window messages are handled in the order
// the window receives them.
func listen(_ context.Context, name string, loop *dispatch.Loop, cfg *driver.ListenConfig) (driver.Listener, error) {
	if err := namespace.ValidName(name); err != nil {
		return nil, err
	}
	rx := &receiver{ctx: loop.Context(), max: int(driver.MaxSizeOr(cfg.MaxSize)), log: driver.LoggerOr(cfg.Logger)}
	rx.src = loop.Attach(transport.UnknownPeer(Scheme), rx, cfg.QueueLenOr())
	w, err := openWindow(name, rx)
	if err != nil {
		rx.src.Detach(transport.ErrClosed)
		return nil, err
	}
	return &listener{w: w}, nil
}

// listener is an endpoint's window.
type listener struct{ w *window }

// Addr is the window's handle, which reaches it exactly.
func (l *listener) Addr() string { return Scheme + ":" + HWNDAddr(uintptr(l.w.hwnd)) }

// Close destroys the window and waits for its thread. It is idempotent.
func (l *listener) Close() error {
	l.w.close()
	l.w.rx.src.Detach(transport.ErrClosed)
	return nil
}
