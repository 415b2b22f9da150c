package peercred

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// soPeerGroups is SO_PEERGROUPS (Linux 4.13), which golang.org/x/sys does
// not name: the peer's supplementary groups as the kernel saw them when it
// connected.
const soPeerGroups = 59

func get(fd int, p *transport.Peer) error {
	u, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return err
	}
	p.PID, p.UID, p.GID = int(u.Pid), int(u.Uid), int(u.Gid)
	p.Groups = peerGroups(fd) // unknown (nil) on kernels without it
	return nil
}

// peerGroups reads SO_PEERGROUPS, growing the buffer as the kernel asks.
func peerGroups(fd int) []int {
	buf := make([]uint32, 32)
	for range 3 {
		n := uint32(len(buf) * 4)
		_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, soPeerGroups,
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
		if e == unix.ERANGE && n/4 > uint32(len(buf)) {
			buf = make([]uint32, n/4)
			continue
		}
		if e != 0 {
			return nil
		}
		out := make([]int, n/4)
		for i := range out {
			out[i] = int(buf[i])
		}
		return out
	}
	return nil
}
