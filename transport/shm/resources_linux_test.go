package shm_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

func echoHandler() postbox.Handler {
	return postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Result: m.W, Data: m.Data}, nil
	})
}

// TestPeerIsShm: both ends report the shared-memory transport; a unix dial
// to the same endpoint stays on the socket.
func TestPeerIsShm(t *testing.T) {
	privateNamespace(t)
	seen := make(chan string, 2)
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		seen <- m.From.Transport
		return postbox.Reply{}, nil
	})
	ep, err := postbox.Listen("shm:peer", h)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	if a := ep.Addrs()[0]; !strings.HasPrefix(a, "shm:/") {
		t.Errorf("endpoint address %q, want shm:/…", a)
	}
	for _, scheme := range []string{"shm", "unix"} {
		c, err := postbox.Dial(context.Background(), scheme+":peer")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Send(context.Background(), postbox.Message{}); err != nil {
			t.Fatal(err)
		}
		if got := <-seen; got != scheme {
			t.Errorf("%s dial: the handler saw transport %q", scheme, got)
		}
		if got := c.Peer(); got.Transport != scheme || got.PID != os.Getpid() {
			t.Errorf("%s dial: Conn.Peer() = %+v", scheme, got)
		}
		c.Close()
	}
}

// shmResources lists this process's mappings and descriptors of
// shared-memory regions.
func shmResources(t *testing.T) []string {
	t.Helper()
	var found []string
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(maps), "\n") {
		if strings.Contains(line, "postbox-shm") {
			found = append(found, "mapping: "+line)
		}
	}
	fds, _ := filepath.Glob("/proc/self/fd/*")
	for _, fd := range fds {
		if target, err := os.Readlink(fd); err == nil && strings.Contains(target, "postbox-shm") {
			found = append(found, "descriptor: "+target)
		}
	}
	return found
}

// TestNothingOutlivesClose: regions are memfds — nothing in /dev/shm —
// whose descriptors are closed once mapped, and whose mappings go with
// Close on both ends.
func TestNothingOutlivesClose(t *testing.T) {
	privateNamespace(t)
	devShm, _ := os.ReadDir("/dev/shm")
	ep, err := postbox.Listen("shm:tidy", echoHandler())
	if err != nil {
		t.Fatal(err)
	}
	var conns []*postbox.Conn
	for range 5 {
		c, err := postbox.Dial(context.Background(), "shm:tidy")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Send(context.Background(), postbox.Message{Data: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	res := shmResources(t)
	if n := countPrefix(res, "mapping"); n != 10 {
		t.Errorf("%d region mappings for 5 connections, want 10 (one per end): %v", n, res)
	}
	if n := countPrefix(res, "descriptor"); n != 0 {
		t.Errorf("region descriptors stay open: %v", res)
	}
	if now, _ := os.ReadDir("/dev/shm"); len(now) != len(devShm) {
		t.Errorf("/dev/shm went from %d to %d entries", len(devShm), len(now))
	}
	for _, c := range conns[:2] {
		c.Close()
	}
	ep.Close()
	for _, c := range conns[2:] {
		c.Close()
	}
	if res := shmResources(t); len(res) != 0 {
		t.Fatalf("left after Close: %v", res)
	}
}

func countPrefix(list []string, prefix string) int {
	n := 0
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

// TestIdleUsesNoCPU: once traffic stops, both ends stop spinning and sleep.
func TestIdleUsesNoCPU(t *testing.T) {
	privateNamespace(t)
	ep, err := postbox.Listen("shm:idle", echoHandler())
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	c, err := postbox.Dial(context.Background(), "shm:idle")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 10000 { // teach the spinners that spinning pays
		if _, err := c.Send(context.Background(), postbox.Message{}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	before := cpuTime(t)
	time.Sleep(500 * time.Millisecond)
	used := cpuTime(t) - before
	t.Logf("CPU time used while idle for 500ms: %v", used)
	if used > 50*time.Millisecond {
		t.Fatalf("an idle connection used %v of CPU in 500ms", used)
	}
}

// cpuTime is the user+system time this process has used.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
