package activation

import "golang.org/x/sys/unix"

// acceptConn reports whether fd is listening (SO_ACCEPTCONN).
func acceptConn(fd int) (bool, error) {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	return v != 0, err
}
