//go:build unix

package activation

import (
	"fmt"

	"golang.org/x/sys/unix"
)

func closeOnExec(fd int) { unix.CloseOnExec(fd) }

// check accepts only a listening stream socket of the wanted family.
func check(fd int, network string) error {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return fmt.Errorf("not a socket: %w", err)
	}
	if typ != unix.SOCK_STREAM {
		return fmt.Errorf("a %s socket; an endpoint needs a stream socket (ListenStream=)", typeName(typ))
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return err
	}
	family := "unknown"
	switch sa.(type) {
	case *unix.SockaddrUnix:
		family = "unix"
	case *unix.SockaddrInet4, *unix.SockaddrInet6:
		family = "tcp"
	}
	if family != network {
		return fmt.Errorf("a %s socket; this endpoint needs a %s one", family, network)
	}
	if listening, err := acceptConn(fd); err == nil && !listening {
		return fmt.Errorf("a connected socket, not a listening one (Accept=yes? use Accept=no)")
	}
	return nil
}

func typeName(typ int) string {
	switch typ {
	case unix.SOCK_DGRAM:
		return "datagram (ListenDatagram=)"
	case unix.SOCK_SEQPACKET:
		return "seqpacket (ListenSequentialPacket=)"
	}
	return fmt.Sprintf("type-%d", typ)
}
