package tcp

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// loopbackUID asks the kernel which user owns the socket at the far end of
// a loopback connection: the socket whose local address is remote and whose
// peer is local, found by socket diagnostics or, where netlink is not
// allowed, in /proc/net/tcp{,6}. The kernel keeps loopback traffic on this
// host, so the answer is as trustworthy as SO_PEERCRED.
func loopbackUID(remote, local net.Addr) (int, error) {
	r, ok1 := remote.(*net.TCPAddr)
	l, ok2 := local.(*net.TCPAddr)
	if !ok1 || !ok2 || !r.IP.IsLoopback() {
		return -1, errors.New("not a loopback connection")
	}
	uid, err := diagUID(r, l)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return uid, err // found, or the peer has already closed
	}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if uid, err := scanSockets(f, r, l); err == nil {
			return uid, nil
		}
	}
	return -1, errors.New("socket not found in /proc/net/tcp")
}

func scanSockets(path string, own, peer *net.TCPAddr) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return -1, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // the header line
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 8 || !procAddrIs(fields[1], own) || !procAddrIs(fields[2], peer) {
			continue
		}
		return strconv.Atoi(fields[7])
	}
	if err := sc.Err(); err != nil {
		return -1, err
	}
	return -1, errors.New("not found")
}

// procAddrIs compares a /proc/net/tcp address ("0100007F:1F90": the IP as
// native-endian 32-bit words in hex, then the port) with a.
func procAddrIs(s string, a *net.TCPAddr) bool {
	ipHex, portHex, ok := strings.Cut(s, ":")
	port, err := strconv.ParseUint(portHex, 16, 16)
	if !ok || err != nil || int(port) != a.Port {
		return false
	}
	raw, err := hex.DecodeString(ipHex)
	if err != nil || len(raw)%4 != 0 {
		return false
	}
	ip := make(net.IP, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(ip[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	return ip.Equal(a.IP)
}
