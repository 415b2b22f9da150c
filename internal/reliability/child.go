package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/conformance"
	"github.com/postbox-ipc/postbox/internal/testproc"
)

// Environment of a child process started by the suite.
const (
	envChild  = "POSTBOX_RELIABILITY_CHILD"  // "TARGET MODE"
	envArg    = "POSTBOX_RELIABILITY_ARG"    // the mode's argument: a name or an address
	envConfig = "POSTBOX_RELIABILITY_CONFIG" // rxConfig as JSON
)

// Child modes.
const (
	modeServe  = "serve"  // listen as ARG with the suite's handler until killed
	modeSender = "sender" // dial ARG, leave requests pending, wait to be killed
)

// Main is the TestMain of a transport's tests. In a child process started
// by this suite or by the conformance suite it plays its part and exits;
// otherwise it runs the tests.
func Main(m *testing.M, targets ...Target) {
	if v := os.Getenv(envChild); v != "" {
		name, mode, _ := strings.Cut(v, " ")
		for _, tg := range targets {
			if tg.Name == name {
				os.Exit(runChild(tg, mode, os.Getenv(envArg)))
			}
		}
		fmt.Fprintf(os.Stderr, "reliability child: no target %q\n", name)
		os.Exit(2)
	}
	conformance.Main(m, targets...)
}

// rxConfig is the part of a ListenConfig a test passes to a child.
type rxConfig struct {
	QueueLen    int   `json:"queue_len,omitempty"`
	QueueBytes  int64 `json:"queue_bytes,omitempty"`
	Concurrency int   `json:"concurrency,omitempty"`
	MaxSize     int   `json:"max_size,omitempty"`
	// Addr, if set, is where to listen instead of the target's address for
	// the name: the parent's, so that a restarted receiver comes back at
	// the same address (a TCP port, say).
	Addr string `json:"addr,omitempty"`
}

func (c rxConfig) apply(lc *postbox.ListenConfig) {
	if c.QueueLen > 0 {
		lc.QueueLen = c.QueueLen
	}
	if c.QueueBytes > 0 {
		lc.QueueBytes = c.QueueBytes
	}
	if c.Concurrency > 0 {
		lc.Concurrency = c.Concurrency
	}
	if c.MaxSize > 0 {
		lc.MaxSize = c.MaxSize
	}
}

func runChild(tg Target, mode, arg string) int {
	var cfg rxConfig
	if err := json.Unmarshal([]byte(os.Getenv(envConfig)), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "reliability child: config:", err)
		return 2
	}
	switch mode {
	case modeServe:
		return childServe(tg, arg, cfg)
	case modeSender:
		return childSender(tg, arg)
	}
	fmt.Fprintf(os.Stderr, "reliability child: unknown mode %q\n", mode)
	return 2
}

// childServe listens as name with the suite's handler, says "ready ADDRS"
// and serves until killed. A blocking message prints "handling SEQ" first.
func childServe(tg Target, name string, cfg rxConfig) int {
	srv := newServer(func(seq int64) { fmt.Printf("handling %d\n", seq) })
	var lc postbox.ListenConfig
	if tg.Configure != nil {
		tg.Configure(&lc)
	}
	cfg.apply(&lc)
	addr := tg.Addr(name)
	if cfg.Addr != "" {
		addr = cfg.Addr
	}
	ep, err := lc.Listen(context.Background(), addr, srv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability child:", err)
		fmt.Println("error", err)
		return 1
	}
	fmt.Println("ready " + strings.Join(ep.Addrs(), " "))
	select {}
}

// childSender dials addr, sends pendingSends requests that the receiver
// holds, confirms they all arrived (a post and a flush behind them), says
// "pending" and waits to be killed.
func childSender(tg Target, addr string) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := &postbox.Dialer{}
	if tg.Dialer != nil {
		d = tg.Dialer
	}
	c, err := d.Dial(ctx, addr)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	for i := range pendingSends {
		c.SendAsync(context.Background(), postbox.Message{ID: idHold, L: int64(i)}, func(postbox.Reply, error) {})
	}
	if err := c.Post(ctx, postbox.Message{ID: idPost}); err != nil {
		fmt.Println("error", err)
		return 1
	}
	if err := c.Flush(ctx); err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Println("pending")
	select {}
}

// pendingSends is how many requests a sender child leaves pending.
const pendingSends = 100

// childProc is a child process of the suite.
type childProc struct {
	*testproc.Proc
	addr string // for a serving child: the address to dial
}

// start runs the test binary as a child in mode with arg; it is killed at
// cleanup.
func (s *suite) start(t testing.TB, mode, arg string, cfg rxConfig) *childProc {
	t.Helper()
	return s.startChild(t, mode, arg, cfg, false)
}

// startUnmanaged is start for a caller that kills the child itself (so a
// test of a thousand children does not keep them all until it ends).
func (s *suite) startUnmanaged(t testing.TB, mode, arg string, cfg rxConfig) *childProc {
	t.Helper()
	return s.startChild(t, mode, arg, cfg, true)
}

func (s *suite) startChild(t testing.TB, mode, arg string, cfg rxConfig, unmanaged bool) *childProc {
	t.Helper()
	b, _ := json.Marshal(cfg)
	env := []string{envChild + "=" + s.Name + " " + mode, envArg + "=" + arg, envConfig + "=" + string(b)}
	return &childProc{Proc: testproc.Start(t, testproc.Options{Env: env, Unmanaged: unmanaged})}
}

// serveChild starts a receiver in a child process, listening as name, and
// returns it once it is ready.
func (s *suite) serveChild(t testing.TB, name string, cfg rxConfig) *childProc {
	t.Helper()
	p := s.start(t, modeServe, name, cfg)
	line := p.expect(t, "ready ")
	p.addr = testproc.PickAddr(strings.Fields(strings.TrimPrefix(line, "ready ")), s.Addr(name))
	return p
}

// expect waits for a line from the child that starts with prefix; a line
// "error ..." fails the test.
func (p *childProc) expect(t testing.TB, prefix string) string {
	t.Helper()
	return p.Expect(t, prefix, time.Minute)
}

// kill ends the child with SIGKILL and reaps it. It is idempotent.
func (p *childProc) kill() { p.Kill() }
