package shm

import (
	"errors"
	"fmt"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// ErrRingCorrupt reports that the peer broke a ring invariant in shared
// memory: an index out of range or a region that does not match its
// description. It matches transport.ErrProtocol.
var ErrRingCorrupt = fmt.Errorf("%w: shared-memory ring corrupt", transport.ErrProtocol)

// ErrUnsupported reports that shared memory is not available on this OS or
// with this connection. It matches errors.ErrUnsupported.
var ErrUnsupported = fmt.Errorf("shared memory: %w", errors.ErrUnsupported)

// corrupt returns ErrRingCorrupt with details.
func corrupt(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrRingCorrupt}, a...)...)
}
