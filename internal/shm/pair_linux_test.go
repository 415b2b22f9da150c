package shm

import (
	"net"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// pair returns the two ends of a shared-memory connection inside this
// process, over a socketpair, with rings of size bytes.
func pair(tb testing.TB, size uint64) (client, endpoint *Conn) {
	tb.Helper()
	return pairLayout(tb, layout{sizes: [ringCount]uint64{size, size}})
}

// pairLayout is pair for a region of layout l.
func pairLayout(tb testing.TB, l layout) (client, endpoint *Conn) {
	tb.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		tb.Fatal(err)
	}
	socks := [2]*net.UnixConn{}
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			tb.Fatal(err)
		}
		socks[i] = c.(*net.UnixConn)
	}
	mem, fd, err := createRegion(l)
	if err != nil {
		tb.Fatal(err)
	}
	mem2, l2, err := openRegion(fd)
	unix.Close(fd)
	if err != nil {
		tb.Fatal(err)
	}
	endpoint = newConn(socks[0], mem, l, true)
	client = newConn(socks[1], mem2, l2, false)
	tb.Cleanup(func() {
		client.Close()
		endpoint.Close()
	})
	return client, endpoint
}
