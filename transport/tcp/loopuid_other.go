//go:build !linux

package tcp

import (
	"errors"
	"fmt"
	"net"
)

// BUG(tcp): Only on Linux is a loopback peer's user ID known (from the
// kernel's socket table). Elsewhere a loopback client has no credentials,
// so the default access policy refuses it unless it presents a token or a
// client certificate, or the endpoint allows any user.

func loopbackUID(remote, local net.Addr) (int, error) {
	return -1, fmt.Errorf("loopback peer credentials: %w", errors.ErrUnsupported)
}
