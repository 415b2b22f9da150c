//go:build !linux && !darwin

package peercred

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/postbox-ipc/postbox/internal/transport"
)

func get(fd int, p *transport.Peer) error {
	return fmt.Errorf("%w on %s", errors.ErrUnsupported, runtime.GOOS)
}
