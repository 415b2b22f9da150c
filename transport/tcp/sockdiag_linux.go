package tcp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// diagUID asks the kernel's socket diagnostics (NETLINK_SOCK_DIAG) for the
// owner of the one TCP socket whose local address is own and whose peer is
// peer: a constant-cost lookup by the connection's addresses, where reading
// /proc/net/tcp costs a walk of every socket on the host.
func diagUID(own, peer *net.TCPAddr) (int, error) {
	req, err := diagRequest(own, peer)
	if err != nil {
		return -1, err
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return -1, fmt.Errorf("sock_diag socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return -1, fmt.Errorf("sock_diag request: %w", err)
	}
	buf := make([]byte, 512)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return -1, fmt.Errorf("sock_diag answer: %w", err)
	}
	return diagAnswer(buf[:n])
}

// Sizes and offsets of the kernel's structures (linux/netlink.h,
// linux/inet_diag.h).
const (
	nlmsgLen      = 16 // struct nlmsghdr
	diagSockIDLen = 48 // struct inet_diag_sockid
	diagReqLen    = 8 + diagSockIDLen
	diagMsgUIDAt  = 4 + diagSockIDLen + 12 // idiag_uid in struct inet_diag_msg
)

// diagRequest builds a SOCK_DIAG_BY_FAMILY request for one TCP socket.
func diagRequest(own, peer *net.TCPAddr) ([]byte, error) {
	family, size := byte(unix.AF_INET), 4
	if own.IP.To4() == nil || peer.IP.To4() == nil {
		family, size = unix.AF_INET6, 16
	}
	b := make([]byte, nlmsgLen+diagReqLen)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(b[6:], unix.NLM_F_REQUEST)
	r := b[nlmsgLen:]
	r[0], r[1] = family, unix.IPPROTO_TCP
	ne.PutUint32(r[4:], 0xFFFFFFFF) // every state
	id := r[8:]
	binary.BigEndian.PutUint16(id[0:], uint16(own.Port))
	binary.BigEndian.PutUint16(id[2:], uint16(peer.Port))
	if !putIP(id[4:20], own.IP, size) || !putIP(id[20:36], peer.IP, size) {
		return nil, errors.New("sock_diag: address of mixed families")
	}
	// id[36:40] is the interface (any); the cookie "none" asks the
	// kernel to find the socket by its addresses alone.
	ne.PutUint32(id[40:], 0xFFFFFFFF)
	ne.PutUint32(id[44:], 0xFFFFFFFF)
	return b, nil
}

func putIP(dst []byte, ip net.IP, size int) bool {
	if size == 4 {
		ip = ip.To4()
	} else {
		ip = ip.To16()
	}
	return ip != nil && copy(dst, ip) == size
}

// diagAnswer reads the socket's UID from the kernel's answer, or the
// error it reported.
func diagAnswer(b []byte) (int, error) {
	if len(b) < nlmsgLen {
		return -1, errors.New("sock_diag: short answer")
	}
	ne := binary.NativeEndian
	switch typ := ne.Uint16(b[4:]); typ {
	case unix.NLMSG_ERROR:
		if len(b) < nlmsgLen+4 {
			return -1, errors.New("sock_diag: short error")
		}
		if errno := -int32(ne.Uint32(b[nlmsgLen:])); errno > 0 {
			return -1, fmt.Errorf("sock_diag: %w", unix.Errno(errno))
		}
		return -1, errors.New("sock_diag: no answer")
	case unix.SOCK_DIAG_BY_FAMILY:
		if len(b) < nlmsgLen+diagMsgUIDAt+4 {
			return -1, errors.New("sock_diag: short answer")
		}
		return int(ne.Uint32(b[nlmsgLen+diagMsgUIDAt:])), nil
	default:
		return -1, fmt.Errorf("sock_diag: unexpected message type %d", typ)
	}
}
