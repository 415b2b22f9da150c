package tcp

import (
	"errors"
	"net"
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// loopPair returns both ends of a loopback TCP connection on network.
func loopPair(t testing.TB, network, addr string) (client, server net.Conn) {
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("no %s loopback here: %v", network, err)
	}
	defer ln.Close()
	client, err = net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// Socket diagnostics and the /proc table agree on who owns the far end of
// a loopback connection, over IPv4 and IPv6, and an address pair with no
// socket is an error, not some other socket's owner.
func TestLoopbackUIDSources(t *testing.T) {
	for _, c := range []struct{ network, addr string }{{"tcp4", "127.0.0.1:0"}, {"tcp6", "[::1]:0"}} {
		t.Run(c.network, func(t *testing.T) {
			_, server := loopPair(t, c.network, c.addr)
			r, l := server.RemoteAddr().(*net.TCPAddr), server.LocalAddr().(*net.TCPAddr)
			uid, err := diagUID(r, l)
			if err != nil || uid != os.Getuid() {
				t.Fatalf("sock_diag: uid %d, %v; want %d", uid, err, os.Getuid())
			}
			file := map[string]string{"tcp4": "/proc/net/tcp", "tcp6": "/proc/net/tcp6"}[c.network]
			if uid, err := scanSockets(file, r, l); err != nil || uid != os.Getuid() {
				t.Fatalf("%s: uid %d, %v; want %d", file, uid, err, os.Getuid())
			}
			if uid, err := loopbackUID(server.RemoteAddr(), server.LocalAddr()); err != nil || uid != os.Getuid() {
				t.Fatalf("loopbackUID: %d, %v", uid, err)
			}
			gone := &net.TCPAddr{IP: r.IP, Port: r.Port ^ 1}
			if uid, err := diagUID(gone, l); !errors.Is(err, unix.ENOENT) {
				t.Fatalf("sock_diag for no socket: uid %d, %v; want ENOENT", uid, err)
			}
		})
	}
}

// BenchmarkLoopbackUID compares the two ways of identifying a loopback
// peer; the /proc walk grows with every socket on the host.
func BenchmarkLoopbackUID(b *testing.B) {
	_, server := loopPair(b, "tcp4", "127.0.0.1:0")
	r, l := server.RemoteAddr().(*net.TCPAddr), server.LocalAddr().(*net.TCPAddr)
	b.Run("sock_diag", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := diagUID(r, l); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("proc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := scanSockets("/proc/net/tcp", r, l); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A socket another user owns is reported as that user's: the test, as
// root, creates the client socket with its file-system UID set to 65534
// (the kernel records the creator's fsuid as the socket's owner).
func TestLoopbackUIDOtherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating a socket as another user needs root")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fd := socketAs(t, 65534)
	defer unix.Close(fd)
	port := ln.Addr().(*net.TCPAddr).Port
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if uid, err := loopbackUID(server.RemoteAddr(), server.LocalAddr()); err != nil || uid != 65534 {
		t.Fatalf("loopbackUID: %d, %v; want 65534", uid, err)
	}
}

// socketAs creates a TCP socket owned by uid.
func socketAs(t *testing.T, uid int) int {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old, _ := unix.SetfsuidRetUid(uid)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	unix.Setfsuid(old)
	if err != nil {
		t.Fatal(err)
	}
	return fd
}
