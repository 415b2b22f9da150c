//go:build !windows

package pipe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/transport"
)

func listen(context.Context, string, *dispatch.Loop, *driver.ListenConfig) (driver.Listener, error) {
	return nil, unsupported()
}

func dial(context.Context, string, *driver.DialConfig) (transport.Conn, error) {
	return nil, unsupported()
}

func dialPipe(context.Context, string) (net.Conn, error) {
	return nil, unsupported()
}

func unsupported() error {
	return fmt.Errorf("named pipes: %w on %s", errors.ErrUnsupported, runtime.GOOS)
}
