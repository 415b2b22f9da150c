package bridge_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/testns"
	"github.com/postbox-ipc/postbox/transport/nats/bridge"
	"github.com/postbox-ipc/postbox/transport/nats/internal/natstest"
)

// Environment of the child process that plays the other host.
const (
	envHost = "POSTBOX_BRIDGE_TEST_HOST" // the NATS server; set in the child
)

func TestMain(m *testing.M) {
	if srv := os.Getenv(envHost); srv != "" {
		os.Exit(otherHost(srv))
	}
	cleanup := testns.Setup()
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) { cleanup(); os.Exit(code) }))
}

// otherHost runs "postbox bridge --nats SRV --import viewer" until stdin
// closes: on this host, the remote viewer becomes the local "viewer".
func otherHost(srv string) int {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		bufio.NewReader(os.Stdin).ReadString('\n')
		cancel()
	}()
	return bridge.Main(ctx, []string{"--nats", srv, "--import", "viewer"}, os.Stdout, os.Stderr)
}

// recorder remembers what reached the real viewer.
type recorder struct {
	mu   sync.Mutex
	msgs []postbox.Message
	sent []bool
}

func (r *recorder) ServeMessage(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m.ID == postbox.User+13 {
		return postbox.Reply{}, fmt.Errorf("no thanks: %w", postbox.ErrDenied)
	}
	c := *m
	c.Data = append([]byte(nil), m.Data...)
	r.msgs, r.sent = append(r.msgs, c), append(r.sent, postbox.InSend(ctx))
	return postbox.Reply{Result: m.W * 2, Data: append([]byte("viewer got "), m.Data...)}, nil
}

func (r *recorder) all() ([]postbox.Message, []bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]postbox.Message(nil), r.msgs...), append([]bool(nil), r.sent...)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// TestBridge: host A exports its viewer; host B (another process with its
// own namespace) imports it; a program on host B that dials "viewer" by
// name — plain local IPC — reaches host A's viewer.
func TestBridge(t *testing.T) {
	hostA, hostB := t.TempDir(), t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", hostA)
	srv := natstest.HostPort(natstest.Server(t))

	var rec recorder
	viewer, err := postbox.Listen("viewer", &rec)
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	a, err := bridge.Start(ctxT(t), bridge.Config{NATS: srv, Export: []string{"viewer"}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	child := startHost(t, srv, hostB)
	defer child.stop()

	t.Setenv("XDG_RUNTIME_DIR", hostB) // from here on, this process is a program on host B
	c, err := postbox.Dial(ctxT(t), "viewer")
	if err != nil {
		t.Fatalf("dial viewer on host B: %v", err)
	}
	defer c.Close()
	rep, err := c.Send(ctxT(t), postbox.Message{ID: postbox.CopyData, W: 21, L: 7, Data: []byte(`{"userCode":"dba"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Result != 42 || string(rep.Data) != `viewer got {"userCode":"dba"}` {
		t.Fatalf("reply %d %q", rep.Result, rep.Data)
	}
	for i := range 20 {
		if err := c.Post(ctxT(t), postbox.Message{ID: postbox.User + 1, W: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	_, err = c.Send(ctxT(t), postbox.Message{ID: postbox.User + 13})
	var re *postbox.RemoteError
	if !errors.As(err, &re) || !errors.Is(err, postbox.ErrDenied) || re.Message != "no thanks: access denied" {
		t.Fatalf("the far handler's error came back as %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_RUNTIME_DIR", hostA)
	if err := viewer.Shutdown(ctxT(t)); err != nil { // every forwarded post handled
		t.Fatal(err)
	}
	msgs, sent := rec.all()
	if len(msgs) != 21 || msgs[0].W != 21 || msgs[0].L != 7 || !sent[0] {
		t.Fatalf("the viewer saw %d messages, first %+v (sent %v)", len(msgs), msgs[0], sent[0])
	}
	for i, m := range msgs[1:] {
		if m.ID != postbox.User+1 || m.W != int64(i) || sent[i+1] {
			t.Fatalf("post %d arrived as %+v (sent %v): not a post, or out of order", i, m, sent[i+1])
		}
	}
}

// host is the child process playing host B.
type host struct {
	cmd *exec.Cmd
	in  *os.File
}

func startHost(t *testing.T, srv, dir string) *host {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envHost+"="+srv, "XDG_RUNTIME_DIR="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = r
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "bridging ") || !strings.Contains(line, "imported [viewer]") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("host B: %q, %v", line, err)
	}
	return &host{cmd: cmd, in: w}
}

// stop ends host B's bridge cleanly and waits for it.
func (h *host) stop() {
	h.in.Close()
	done := make(chan struct{})
	go func() { h.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		h.cmd.Process.Kill()
		<-done
	}
}

// TestExportAll exports what runs here, but never the bridge's own
// imports.
func TestExportAll(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	srv := natstest.HostPort(natstest.Server(t))
	var rec recorder
	ep, err := postbox.Listen("here", &rec)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	b, err := bridge.Start(ctxT(t), bridge.Config{NATS: srv, ExportAll: true, Import: []string{"far=near"}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := b.Exported(); len(got) != 1 || got[0] != "here" {
		t.Fatalf("exported %v, want [here] (not the import \"near\")", got)
	}
	if got := b.Imported(); len(got) != 1 || got[0] != "near" {
		t.Fatalf("imported %v, want [near]", got)
	}
	rep, err := postbox.Send(ctxT(t), "nats://"+srv+"/here", postbox.Message{W: 1, Data: []byte("x")})
	if err != nil || string(rep.Data) != "viewer got x" {
		t.Fatalf("send through the export: %q, %v", rep.Data, err)
	}
	// Nothing serves "far": the import answers as an endpoint would.
	if _, err := postbox.Send(ctxT(t), "near", postbox.Message{}); !errors.Is(err, postbox.ErrNoEndpoint) {
		t.Fatalf("send to an import with nothing behind it: %v, want ErrNoEndpoint", err)
	}
}

func TestUsage(t *testing.T) {
	var out, errs strings.Builder
	if code := bridge.Main(context.Background(), []string{"viewer"}, &out, &errs); code != bridge.ExitUsage {
		t.Fatalf("without --nats: exit %d, want %d (%s)", code, bridge.ExitUsage, errs.String())
	}
	out.Reset()
	if code := bridge.Main(context.Background(), []string{"--help"}, &out, &errs); code != bridge.ExitOK || !strings.Contains(out.String(), "--import") {
		t.Fatalf("--help: exit %d, stdout %q", code, out.String())
	}
}
