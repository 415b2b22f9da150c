//go:build unix

package postbox_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// sendAsNobody runs childSend as uid/gid 65534 and returns its report.
func sendAsNobody(t *testing.T, addr string) string {
	t.Helper()
	return runAsNobody(t, "", addr)
}

// runAsNobody runs childAs in mode as uid/gid 65534 and returns its report.
func runAsNobody(t *testing.T, mode, addr string) string {
	t.Helper()
	cmd := nobodyCmd(t, mode, addr)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child as uid 65534: %v (%s)", err, out)
	}
	return strings.TrimSpace(string(out))
}

// startAsNobody starts childAs in mode as uid/gid 65534 and returns its
// output as it comes.
func startAsNobody(t *testing.T, mode, addr string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := nobodyCmd(t, mode, addr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, bufio.NewReader(out)
}

// nobodyCmd prepares the test binary to run childAs as uid/gid 65534.
func nobodyCmd(t *testing.T, mode, addr string) *exec.Cmd {
	t.Helper()
	return childCmdAs(t, &syscall.Credential{Uid: 65534, Gid: 65534}, envSendAs+"="+addr, envAsMode+"="+mode)
}

// childCmdAs prepares a copy of the test binary that another user can read
// and run, to run as cred with env added, without running tests.
func childCmdAs(t *testing.T, cred *syscall.Credential, env ...string) *exec.Cmd {
	t.Helper()
	dir := publicDir(t)
	exe, _ := os.Executable()
	bin := filepath.Join(dir, "child.test")
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(append(os.Environ(), env...), "GORACE=atexit_sleep_ms=0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Stderr = os.Stderr
	return cmd
}

func TestOtherUsers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("starting a process as another user needs root")
	}
	dir := publicDir(t)
	var handled atomic.Int64
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		handled.Add(1)
		return postbox.Reply{Data: []byte("welcome uid " + itoa(m.From.UID))}, nil
	})
	cases := []struct {
		name string
		opts []postbox.ListenOption
		want string
	}{
		{"default policy: same user only", nil, "denied"},
		{"allow-list without that user", []postbox.ListenOption{postbox.WithAllowUIDs(12345)}, "denied"},
		{"allow-list with that user", []postbox.ListenOption{postbox.WithAllowUIDs(65534)}, "ok welcome uid 65534"},
		{"allow-list by group", []postbox.ListenOption{postbox.WithAllowGIDs(65534)}, "ok welcome uid 65534"},
		{"any user", []postbox.ListenOption{func(lc *postbox.ListenConfig) { lc.AllowAnyUser = true }}, "ok welcome uid 65534"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := "unix:" + filepath.Join(dir, "ep"+itoa(i)+".sock")
			ep, err := postbox.Listen(addr, h, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer ep.Close()
			before := handled.Load()
			if got := sendAsNobody(t, addr); got != c.want {
				t.Fatalf("uid 65534 got %q, want %q", got, c.want)
			}
			if c.want == "denied" && handled.Load() != before {
				t.Fatalf("a denied peer's message reached the handler")
			}
		})
	}
}

// An other user's Hello and frames, written in one go before any answer,
// are refused with status denied, and neither frame reaches the handler.
func TestOtherUserPipelinedFramesNeverHandled(t *testing.T) {
	ep, addr, handled := otherUserEndpoint(t, postbox.WithAllowUIDs(12345))
	defer ep.Close()
	got := runAsNobody(t, asRaw, addr)
	if want := fmt.Sprintf("status %d, then 0 bytes (true)", wire.StatusDenied); got != want {
		t.Fatalf("uid 65534 pipelining a Hello, a Send and a Post: %q, want %q", got, want)
	}
	if n := handled.Load(); n != 0 {
		t.Fatalf("%d of a denied peer's messages reached the handler", n)
	}
}

// An other user's connections are refused as soon as they are accepted,
// before they send a byte; while the other user still holds them all open,
// the endpoint's own user gets through at once.
func TestOtherUserFloodRefusedBeforeHello(t *testing.T) {
	const flood, slots = 200, 64
	ep, addr, handled := otherUserEndpoint(t, postbox.WithAllowUIDs(12345), func(lc *postbox.ListenConfig) { lc.MaxConns = slots })
	defer ep.Close()
	cmd, out := startAsNobody(t, asFlood+" "+itoa(flood), addr)
	line, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("child: %v (%q)", err, line)
	}
	start := time.Now()
	_, err = postbox.Send(ctxT(t), addr, postbox.Message{})
	took := time.Since(start)
	cmd.Wait()
	t.Logf("uid 65534: %s; the endpoint's own user meanwhile: %v after %v", strings.TrimSpace(line), err, took)
	if !strings.HasPrefix(line, fmt.Sprintf("refused %d of %d (", flood, flood)) || strings.Contains(line, "(0 denied") {
		t.Fatalf("uid 65534 opening %d silent connections: %q, want every one refused within a second", flood, line)
	}
	if err != nil || took > time.Second {
		t.Fatalf("the endpoint's own user beside the other user's %d open connections: %v after %v", flood, err, took)
	}
	if n := handled.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want once (the legitimate Send)", n)
	}
}

// An admitted other user is held to MaxConnsPerUser.
func TestOtherUserConnsPerUser(t *testing.T) {
	ep, addr, _ := otherUserEndpoint(t, postbox.WithAllowUIDs(65534), func(lc *postbox.ListenConfig) { lc.MaxConnsPerUser = 3 })
	defer ep.Close()
	if got, want := runAsNobody(t, asConns+" 4", addr), "ok ok ok limit"; got != want {
		t.Fatalf("uid 65534 dialing 4 connections with a quota of 3: %q, want %q", got, want)
	}
	// The endpoint's own user has a quota of its own.
	c, err := postbox.Dial(ctxT(t), addr)
	if err != nil {
		t.Fatalf("the endpoint's own user: %v", err)
	}
	c.Close()
}

// otherUserEndpoint listens in a directory other users can enter, counting
// the messages its handler sees.
func otherUserEndpoint(t *testing.T, opts ...postbox.ListenOption) (*postbox.Endpoint, string, *atomic.Int64) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("starting a process as another user needs root")
	}
	var handled atomic.Int64
	h := postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
		handled.Add(1)
		return postbox.Reply{}, nil
	})
	addr := "unix:" + filepath.Join(publicDir(t), "other.sock")
	ep, err := postbox.Listen(addr, h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return ep, addr, &handled
}

func itoa(n int) string { return strconv.Itoa(n) }

// publicDir is a temporary directory other users can enter (t.TempDir's
// parent is private).
func publicDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pbx-public")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
