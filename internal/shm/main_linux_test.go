package shm

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/postbox-ipc/postbox/internal/testns"
)

// The test binary doubles as the far end of a cross-process connection:
// with envPeer set it maps the region passed as fd 4, joins the socket
// passed as fd 3 as the endpoint, and runs the named role.
const envPeer = "POSTBOX_SHM_PEER"

var peerRoles = map[string]func(c *Conn) error{
	"echo64": func(c *Conn) error {
		buf := make([]byte, 64)
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				return err
			}
			if _, err := c.Write(buf); err != nil {
				return err
			}
		}
	},
	"sink": func(c *Conn) error {
		_, err := io.CopyBuffer(io.Discard, c, make([]byte, 64<<10))
		return err
	},
}

func TestMain(m *testing.M) {
	if role := os.Getenv(envPeer); role != "" {
		os.Exit(runPeer(role))
	}
	os.Exit(testns.Run(m))
}

func runPeer(role string) int {
	f := os.NewFile(3, "sock")
	sc, err := net.FileConn(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mem, l, err := openRegion(4)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	c := newConn(sc.(*net.UnixConn), mem, l, true)
	err = peerRoles[role](c)
	c.Close()
	if err != nil && err != io.EOF {
		fmt.Fprintln(os.Stderr, role+":", err)
		return 1
	}
	return 0
}

// crossPair starts a peer process running role as the endpoint and returns
// the client end.
func crossPair(tb testing.TB, role string, size uint64) (*Conn, *exec.Cmd) {
	tb.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		tb.Fatal(err)
	}
	l := layout{sizes: [ringCount]uint64{size, size}}
	mem, mfd, err := createRegion(l)
	if err != nil {
		tb.Fatal(err)
	}
	theirs, region := os.NewFile(uintptr(fds[1]), "sock"), os.NewFile(uintptr(mfd), "region")
	exe, _ := os.Executable()
	cmd := exec.Command(exe, "-test.run=^$")
	if cpu := os.Getenv("POSTBOX_SHM_PEER_CPUS"); cpu != "" {
		cmd = exec.Command("taskset", "-c", cpu, exe, "-test.run=^$")
	}
	cmd.Env = append(os.Environ(), envPeer+"="+role)
	cmd.ExtraFiles = []*os.File{theirs, region}
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	theirs.Close()
	region.Close()
	f := os.NewFile(uintptr(fds[0]), "sock")
	sc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		tb.Fatal(err)
	}
	c := newConn(sc.(*net.UnixConn), mem, l, false)
	tb.Cleanup(func() {
		c.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	return c, cmd
}
