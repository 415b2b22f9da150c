//go:build !unix

package session

import (
	"io"
	"net"
)

// withPoll: no busy polling here; see poll_unix.go.
func withPoll(c net.Conn) io.Reader { return c }
