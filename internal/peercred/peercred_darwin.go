package peercred

import (
	"golang.org/x/sys/unix"

	"github.com/postbox-ipc/postbox/internal/transport"
)

func get(fd int, p *transport.Peer) error {
	x, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return err
	}
	p.UID = int(x.Uid)
	if x.Ngroups > 0 {
		p.GID = int(x.Groups[0])
		for _, g := range x.Groups[:min(int(x.Ngroups), len(x.Groups))] {
			p.Groups = append(p.Groups, int(g))
		}
	}
	if pid, err := unix.GetsockoptInt(fd, unix.SOL_LOCAL, unix.LOCAL_PEERPID); err == nil {
		p.PID = pid
	}
	return nil
}
