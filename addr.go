package postbox

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/postbox-ipc/postbox/internal/driver"
)

// DefaultScheme is the transport a bare name uses on this OS.
var DefaultScheme = defaultScheme()

func defaultScheme() string {
	if runtime.GOOS == "windows" {
		return "pipe"
	}
	return "unix"
}

// splitAddr splits "scheme:rest" or "scheme://rest"; a bare name gets the
// default scheme.
func splitAddr(addr string) (scheme, rest string) {
	if i := strings.Index(addr, "://"); i > 0 {
		return addr[:i], addr[i+3:]
	}
	if i := strings.IndexByte(addr, ':'); i > 0 {
		return addr[:i], addr[i+1:]
	}
	return DefaultScheme, addr
}

// lookup resolves addr's transport: an instance from over with its scheme,
// else the registered one.
func lookup(addr string, over []Transport) (driver.Transport, string, error) {
	scheme, rest := splitAddr(addr)
	if rest == "" {
		return nil, "", fmt.Errorf("%w: %q has no name", ErrBadAddress, addr)
	}
	for _, t := range over {
		if t != nil && t.Scheme() == scheme {
			return t, rest, nil
		}
	}
	t, err := driver.Lookup(scheme)
	return t, rest, err
}

// Transports lists the address schemes this program can use.
func Transports() []string { return driver.Schemes() }
