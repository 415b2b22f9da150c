package conformance

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/testns"
	"github.com/postbox-ipc/postbox/internal/testproc"
)

// Environment variables that turn a test binary into a conformance child.
const (
	envChild = "POSTBOX_CONFORMANCE_CHILD" // the target's Name
	envName  = "POSTBOX_CONFORMANCE_NAME"  // the endpoint name to listen as
)

// Main is the TestMain of a transport's tests: in a child process started
// by the suite it serves an endpoint for the target named in the
// environment; otherwise it runs the tests.
func Main(m *testing.M, targets ...Target) {
	if name := os.Getenv(envChild); name != "" {
		for _, tg := range targets {
			if tg.Name == name {
				os.Exit(serveChild(tg, os.Getenv(envName)))
			}
		}
		fmt.Fprintf(os.Stderr, "conformance child: no target %q\n", name)
		os.Exit(2)
	}
	os.Exit(testns.Run(m))
}

// serveChild listens as name, says "ready ADDRS", and serves until killed.
// A message with ID idBlock prints "handling" and never returns.
func serveChild(tg Target, name string) int {
	h := postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		if m.ID == idBlock {
			fmt.Println("handling")
			select {}
		}
		return echo(ctx, m)
	})
	var lc postbox.ListenConfig
	if tg.Configure != nil {
		tg.Configure(&lc)
	}
	ep, err := lc.Listen(context.Background(), tg.Addr(name), h)
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance child:", err)
		return 1
	}
	fmt.Println("ready " + strings.Join(ep.Addrs(), " "))
	select {}
}

// childProc is an endpoint in another process.
type childProc struct {
	*testproc.Proc
	addr string
}

// child starts an endpoint in a new process and returns it once it is
// ready, with the address to dial.
func (s *suite) child(t *testing.T) *childProc {
	t.Helper()
	p := &childProc{Proc: testproc.Start(t, testproc.Options{Env: []string{envChild + "=" + s.Name, envName + "=" + s.name(t)}})}
	line := p.expect(t, "ready ")
	p.addr = testproc.PickAddr(strings.Fields(strings.TrimPrefix(line, "ready ")), s.Addr("x"))
	return p
}

// expect waits for a line from the child that starts with prefix.
func (p *childProc) expect(t *testing.T, prefix string) string {
	t.Helper()
	return p.Expect(t, prefix, 30*time.Second)
}

// kill ends the child with SIGKILL (or TerminateProcess) and reaps it.
func (p *childProc) kill() { p.Kill() }
