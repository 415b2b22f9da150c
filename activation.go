package postbox

import (
	"fmt"
	"net"

	"github.com/postbox-ipc/postbox/internal/activation"
	"github.com/postbox-ipc/postbox/transport/unix"
)

// inherited returns the socket a service manager passed for the endpoint
// name, or nil when the process was started without sockets.
func inherited(scheme, name string) (net.Listener, error) {
	if activation.Count() == 0 {
		return nil, nil
	}
	if scheme != unix.Scheme {
		return nil, fmt.Errorf("%w: socket activation serves unix: endpoints, not %q ones", ErrBadAddress, scheme+":")
	}
	return activation.Listen(name, "unix")
}
