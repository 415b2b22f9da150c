//go:build !windows

package winmsg

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/transport"
)

func listen(context.Context, string, *dispatch.Loop, *driver.ListenConfig) (driver.Listener, error) {
	return nil, unsupported()
}

func dial(context.Context, Target, *driver.DialConfig) (transport.Conn, error) {
	return nil, unsupported()
}

func unsupported() error {
	return fmt.Errorf("winmsg (Windows messages): %w on %s", errors.ErrUnsupported, runtime.GOOS)
}
