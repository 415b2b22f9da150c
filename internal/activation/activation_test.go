//go:build unix

package activation

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The descriptors themselves are tested with real child processes in the
// root package; these cover reading the environment.
func TestEnvironment(t *testing.T) {
	pid := strconv.Itoa(os.Getpid())
	cases := []struct {
		name, pid, fds string
		count          int
		err            string
	}{
		{"nothing passed", "", "", 0, "no sockets passed"},
		{"meant for another process", "1", "2", 0, "no sockets passed"},
		{"zero sockets", pid, "0", 0, "no sockets passed"},
		{"garbled count", pid, "two", 0, "not a count"},
		{"absurd count", pid, "100000", 0, "not a count"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reset()
			t.Cleanup(reset)
			t.Setenv("LISTEN_PID", c.pid)
			t.Setenv("LISTEN_FDS", c.fds)
			t.Setenv("LISTEN_FDNAMES", "x")
			if n := Count(); n != c.count {
				t.Fatalf("Count = %d, want %d", n, c.count)
			}
			for _, v := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
				if _, set := os.LookupEnv(v); set {
					t.Errorf("%s is still set", v)
				}
			}
			_, err := Listen("x", "unix")
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("Listen: %v, want %q", err, c.err)
			}
			if c.err == "no sockets passed" && !errors.Is(err, ErrNone) {
				t.Fatalf("Listen: %v, want ErrNone", err)
			}
		})
	}
}
