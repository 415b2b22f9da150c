// Package conformance is the behaviour every Postbox transport must show,
// as one test suite: each transport's tests call Run with a Target that
// says how to reach an endpoint over it.
//
//	func TestMain(m *testing.M) { conformance.Main(m) }
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, conformance.Target{Name: "unix", Addr: func(n string) string { return "unix:" + n }, CrossProcess: true})
//	}
package conformance

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/postbox-ipc/postbox"
)

// Target describes one transport to the suite.
type Target struct {
	// Name labels the run.
	Name string
	// Addr returns the address to Listen on for an endpoint named name.
	Addr func(name string) string
	// DialAddr picks the address to dial from a listening endpoint; nil
	// dials Addr(name).
	DialAddr func(ep *postbox.Endpoint) string
	// Configure adjusts each endpoint's ListenConfig; may be nil.
	Configure func(*postbox.ListenConfig)
	// Dialer is used for every dial; nil uses the zero Dialer.
	Dialer *postbox.Dialer
	// CrossProcess runs the tests that need a second process (peer death).
	CrossProcess bool
	// Raw opens a raw byte stream to ep for malformed-input tests; nil
	// skips them (message-oriented transports have no frames to break).
	Raw func(ctx context.Context, ep *postbox.Endpoint) (net.Conn, error)
	// RawHandshake opens the raw stream on which a client's first bytes
	// (its Hello) travel, where that differs from Raw's (shared memory
	// upgrades after the handshake); nil uses Raw.
	RawHandshake func(ctx context.Context, ep *postbox.Endpoint) (net.Conn, error)
	// Skip names tests that do not apply, each with the reason.
	Skip map[string]string
	// Scale multiplies load sizes; 0 means 1 (or 0.25 with -short).
	Scale float64
	// PeerDeathBound is how soon the transport notices that the process
	// at the other end died: zero means 100 ms, what stream transports
	// promise (the kernel closes the stream); a transport that learns of
	// it from heartbeats (NATS) says its own.
	PeerDeathBound time.Duration
}

// suite is one Run's state, handed to every test.
type suite struct {
	Target
	names int
}

type test struct {
	name string
	fn   func(t *testing.T, s *suite)
}

// Run runs every conformance test against tg, then checks that no
// goroutine or file descriptor leaked.
func Run(t *testing.T, tg Target) {
	if os.Getenv("XDG_RUNTIME_DIR") == "" || !filepath.IsAbs(os.Getenv("XDG_RUNTIME_DIR")) {
		t.Setenv("XDG_RUNTIME_DIR", shortTempDir(t))
	}
	s := &suite{Target: tg}
	ignore := goleak.IgnoreCurrent()
	fds := openFDs()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if why, ok := tg.Skip[tc.name]; ok {
				t.Skip(why)
			}
			tc.fn(t, s)
		})
	}
	t.Run("NoLeaks", func(t *testing.T) {
		goleak.VerifyNone(t, ignore)
		if fds >= 0 {
			waitFor(t, 5*time.Second, func() bool { return openFDs() <= fds }, "file descriptors back to %d", fds)
		}
	})
}

// name returns a fresh endpoint name.
func (s *suite) name(t *testing.T) string {
	s.names++
	return "conf-" + s.Name + "-" + itoa(s.names) + "-" + itoa(os.Getpid()%100000)
}

// listen starts an endpoint serving h and returns it with the address to dial.
func (s *suite) listen(t *testing.T, h postbox.Handler, adjust ...func(*postbox.ListenConfig)) (*postbox.Endpoint, string) {
	t.Helper()
	name := s.name(t)
	var lc postbox.ListenConfig
	if s.Configure != nil {
		s.Configure(&lc)
	}
	for _, a := range adjust {
		a(&lc)
	}
	ep, err := lc.Listen(context.Background(), s.Addr(name), h)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { ep.Close() })
	if s.DialAddr != nil {
		return ep, s.DialAddr(ep)
	}
	return ep, s.Addr(name)
}

// dial connects to addr, closing the connection at cleanup.
func (s *suite) dial(t *testing.T, addr string) *postbox.Conn {
	t.Helper()
	c, err := s.dialer().Dial(ctx(t), addr)
	if err != nil {
		t.Fatalf("Dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (s *suite) dialer() *postbox.Dialer {
	if s.Dialer != nil {
		return s.Dialer
	}
	return &postbox.Dialer{}
}

// scale returns n scaled by the target's load factor, at least 1.
func (s *suite) scale(n int) int {
	f := s.Scale
	if f == 0 {
		f = 1
		if testing.Short() {
			f = 0.25
		}
	}
	return max(int(float64(n)*f), 1)
}

// ctx returns a context that ends with the test, bounded to a minute.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool, format string, a ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: "+format, a...)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// openFDs counts this process's open descriptors, or -1 where unknown.
func openFDs() int {
	if runtime.GOOS != "linux" {
		return -1
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// shortTempDir is a temporary directory with a short path, so socket paths
// stay under the OS limit.
func shortTempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "pbx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func itoa(n int) string { return strconv.Itoa(n) }
