package reliability

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/conformance"
)

// Target describes one transport to the suite; it is the conformance
// suite's, so a transport describes itself once.
type Target = conformance.Target

// suite is one Run's state, handed to every test.
type suite struct {
	Target
	level Level
	names int
}

type test struct {
	name string
	fn   func(t *testing.T, s *suite)
}

var tests []test

// add registers a test; it is called from package-level var declarations,
// one file per concern.
func add(name string, fn func(t *testing.T, s *suite)) bool {
	tests = append(tests, test{name, fn})
	return true
}

// Run runs every reliability test against tg at the current level, then
// checks that no goroutine or file descriptor leaked.
func Run(t *testing.T, tg Target) {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d == "" || !filepath.IsAbs(d) {
		t.Setenv("XDG_RUNTIME_DIR", shortTempDir(t))
	}
	s := &suite{Target: tg, level: CurrentLevel()}
	t.Logf("reliability suite over %s, level %s", tg.Name, s.level)
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
			waitFor(t, 10*time.Second, func() bool { return openFDs() <= fds }, "file descriptors back to %d (now %d)", fds, openFDs())
		}
	})
}

// name returns a fresh endpoint name.
func (s *suite) name() string {
	s.names++
	return "rel-" + s.Name + "-" + strconv.Itoa(s.names) + "-" + strconv.Itoa(os.Getpid()%100000)
}

// config returns the target's ListenConfig adjusted by adjust.
func (s *suite) config(adjust ...func(*postbox.ListenConfig)) postbox.ListenConfig {
	var lc postbox.ListenConfig
	if s.Configure != nil {
		s.Configure(&lc)
	}
	for _, a := range adjust {
		a(&lc)
	}
	return lc
}

// listen starts an endpoint in this process serving h and returns it with
// the address to dial. It is closed at cleanup.
func (s *suite) listen(t *testing.T, h postbox.Handler, adjust ...func(*postbox.ListenConfig)) (*postbox.Endpoint, string) {
	t.Helper()
	return s.listenAs(t, s.name(), h, adjust...)
}

// listenAs is listen with a given name.
func (s *suite) listenAs(t *testing.T, name string, h postbox.Handler, adjust ...func(*postbox.ListenConfig)) (*postbox.Endpoint, string) {
	t.Helper()
	lc := s.config(adjust...)
	ep, err := lc.Listen(context.Background(), s.Addr(name), h)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { ep.Close() })
	return ep, s.dialAddr(ep, name)
}

func (s *suite) dialAddr(ep *postbox.Endpoint, name string) string {
	if s.DialAddr != nil {
		return s.DialAddr(ep)
	}
	return s.Addr(name)
}

// dial connects to addr; the connection is closed at cleanup.
func (s *suite) dial(t *testing.T, addr string) *postbox.Conn {
	t.Helper()
	c, err := s.dialer().Dial(testCtx(t), addr)
	if err != nil {
		t.Fatalf("Dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (s *suite) dialer() *postbox.Dialer {
	if s.Dialer != nil {
		d := *s.Dialer
		return &d
	}
	return &postbox.Dialer{}
}

// testCtx is a context that ends with the test, bounded to ten minutes so
// that a hang fails instead of stalling the run.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds, or fails the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool, format string, a ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for: "+format, append([]any{timeout}, a...)...)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// shortTempDir is a temporary directory with a short path, so socket paths
// stay under the OS limit.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pbr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
