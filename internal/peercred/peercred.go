// Package peercred asks the kernel who is at the other end of a local
// socket: the process ID and user and group IDs, which the peer cannot forge.
package peercred

import (
	"fmt"
	"net"
	"syscall"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// Get returns the kernel's credentials for the peer of conn, a Unix socket.
// Fields the OS does not report stay unknown (-1).
func Get(conn net.Conn) (transport.Peer, error) {
	p := transport.UnknownPeer("")
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return p, fmt.Errorf("peer credentials: %T is not a socket", conn)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return p, err
	}
	var cerr error
	err = raw.Control(func(fd uintptr) { cerr = get(int(fd), &p) })
	if err == nil {
		err = cerr
	}
	if err != nil {
		return p, fmt.Errorf("peer credentials: %w", err)
	}
	return p, nil
}
