package peercred

import (
	"golang.org/x/sys/unix"

	"github.com/postbox-ipc/postbox/internal/transport"
)

func get(fd int, p *transport.Peer) error {
	u, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return err
	}
	p.PID, p.UID, p.GID = int(u.Pid), int(u.Uid), int(u.Gid)
	return nil
}
