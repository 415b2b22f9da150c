package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/testns"
)

// bin is the example built once for these tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pbx-svc")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "postbox-example")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		panic("building the example: " + err.Error() + "\n" + string(out))
	}
	code := testns.Run(m)
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines left behind:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// proc is a started process whose stderr lines are collected.
type proc struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan error
}

func start(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	errp, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, lines: make(chan string, 1000), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(errp)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	return p
}

// expect waits for a stderr line containing want and returns it.
func (p *proc) expect(t *testing.T, want string) string {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case line := <-p.lines:
			if strings.Contains(line, want) {
				return line
			}
		case <-timeout:
			t.Fatalf("no line containing %q on stderr", want)
		}
	}
}

// exit waits for the process to end and returns its exit status.
func (p *proc) exit(t *testing.T) int {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatal("the service did not exit")
		return -1
	}
}

func exe(pid int) string {
	s, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return s
}

func needActivator(t *testing.T) {
	if _, err := exec.LookPath("systemd-socket-activate"); err != nil {
		t.Skip("systemd-socket-activate is not installed (Debian's systemd package; .ci/run installs it)")
	}
}

func shortDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "pbx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestStartsOnFirstMessage runs the example the way systemd runs it: the
// activator listens; the first message starts the service, which takes the
// socket over and answers; SIGTERM (systemctl stop) lets it finish what it
// accepted.
func TestStartsOnFirstMessage(t *testing.T) {
	needActivator(t)
	sock := filepath.Join(shortDir(t), "postbox-example.sock")
	p := start(t, exec.Command("systemd-socket-activate", "-l", sock, "--fdname=postbox-example",
		bin, "-addr", "unix:"+sock, "-grace", "10s"))
	p.expect(t, "Listening on")
	pid := p.cmd.Process.Pid
	if got := exe(pid); !strings.HasSuffix(got, "systemd-socket-activate") {
		t.Fatalf("before any message, pid %d runs %s: the service started early", pid, got)
	}

	addr := "unix:" + sock
	rep, err := postbox.Send(ctxT(t), addr, postbox.Message{ID: idHello, Data: []byte("hi")})
	want := fmt.Sprintf("this is pid %d: hi", pid)
	if err != nil || !strings.Contains(string(rep.Data), want) {
		t.Fatalf("first message: %q %v, want …%q", rep.Data, err, want)
	}
	if got := exe(pid); got != bin {
		t.Fatalf("after the first message pid %d runs %s, want the service", pid, got)
	}

	// A graceful stop: a message in flight is answered, a new one is
	// refused, the service exits 0.
	c, err := postbox.Dial(ctxT(t), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	worked := make(chan string, 1)
	go func() {
		rep, err := c.Send(ctxT(t), postbox.Message{ID: idWork, W: 300})
		worked <- fmt.Sprintf("%s err=%v", rep.Data, err)
	}()
	waitRunning(t, c, 1)
	p.cmd.Process.Signal(syscall.SIGTERM)
	waitDraining(t, c)
	if _, err := c.Send(ctxT(t), postbox.Message{ID: idHello}); !errors.Is(err, postbox.ErrClosed) {
		t.Errorf("a message after SIGTERM: %v, want ErrClosed", err)
	}
	if got := <-worked; !strings.HasPrefix(got, "worked 300ms") {
		t.Fatalf("the message in flight at SIGTERM: %q", got)
	}
	p.expect(t, "shut down")
	if code := p.exit(t); code != 0 {
		t.Fatalf("the service exited %d", code)
	}
}

// waitRunning polls the endpoint's Stats until n handlers run.
func waitRunning(t *testing.T, c *postbox.Conn, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := c.Stats(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		if st.Running == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d handlers running, want %d", st.Running, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitDraining polls the endpoint's Stats until its Shutdown stopped
// accepting (reserved messages are still answered then).
func waitDraining(t *testing.T, c *postbox.Conn) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := c.Stats(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		if st.Draining {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the service did not begin to shut down")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRefusesADatagramSocket(t *testing.T) {
	needActivator(t)
	sock := filepath.Join(shortDir(t), "postbox-example.sock")
	p := start(t, exec.Command("systemd-socket-activate", "--datagram", "-l", sock, "--fdname=postbox-example",
		bin, "-addr", "unix:"+sock))
	p.expect(t, "Listening on")
	// A datagram wakes the activator, which starts the service.
	c, err := net.Dial("unixgram", sock)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("wake up"))
	c.Close()
	line := p.expect(t, "postbox-example:")
	if !strings.Contains(line, "datagram") {
		t.Errorf("the service's error does not name the socket type: %q", line)
	}
	if code := p.exit(t); code == 0 {
		t.Fatal("the service ran on a datagram socket")
	}
}

// TestHotRestart plays systemd's part itself: it holds the listening socket
// across a restart. The old instance finishes what it accepted; a client
// connecting meanwhile waits in the socket's backlog and is served by the
// new instance; nothing is refused or lost.
func TestHotRestart(t *testing.T) {
	sock := filepath.Join(shortDir(t), "postbox-example.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.UnixListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	addr := "unix:" + sock

	old := activated(t, f, addr)
	old.expect(t, "serving")
	c, err := postbox.Dial(ctxT(t), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	answers := make(chan string, 2)
	for range 2 { // one runs, one waits in the queue
		c.SendAsync(context.Background(), postbox.Message{ID: idWork, W: 300}, func(rep postbox.Reply, err error) { answers <- fmt.Sprintf("%s err=%v", rep.Data, err) })
	}
	waitRunning(t, c, 1)
	old.cmd.Process.Signal(syscall.SIGTERM)
	waitDraining(t, c)

	// Connect during the restart: the handshake waits in the backlog.
	dialed := make(chan string, 1)
	go func() {
		rep, err := postbox.Send(ctxT(t), addr, postbox.Message{ID: idHello})
		dialed <- fmt.Sprintf("%s err=%v", rep.Data, err)
	}()
	next := activated(t, f, addr)
	next.expect(t, "serving")
	if got := <-dialed; !strings.Contains(got, fmt.Sprintf("this is pid %d", next.cmd.Process.Pid)) {
		t.Fatalf("a client that connected during the restart got %q, want the new instance", got)
	}
	for range 2 {
		if got := <-answers; !strings.Contains(got, fmt.Sprintf("in pid %d err=<nil>", old.cmd.Process.Pid)) {
			t.Fatalf("a message the old instance accepted: %q", got)
		}
	}
	if code := old.exit(t); code != 0 {
		t.Fatalf("the old instance exited %d", code)
	}
}

// activated starts an instance of the service with f as descriptor 3 and
// the LISTEN_* variables set for its own PID, as systemd does.
func activated(t *testing.T, f *os.File, addr string) *proc {
	script := `export LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=postbox-example; exec "$0" -addr "$1"`
	cmd := exec.Command("/bin/sh", "-c", script, bin, addr)
	cmd.ExtraFiles = []*os.File{f}
	cmd.Stdout = io.Discard
	return start(t, cmd)
}
