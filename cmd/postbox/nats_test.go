//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/postbox-ipc/postbox/internal/testns"
)

// The built postbox against a real NATS server (embedded in this test
// process) and the real nats CLI: nats:// addresses on every subcommand
// that takes one, broadcast --nats, and bridge without a second binary.

var bin string // the postbox built for these tests

func TestMain(m *testing.M) {
	cleanup := testns.Setup()        // a namespace of its own
	bin = testns.File("bin/postbox") // not DIR/postbox: the namespace's
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		cleanup()
		panic("building postbox: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

func natsServer(t *testing.T) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return "nats://" + s.Addr().String()
}

// natsCLI is the nats command: on PATH, or skipped — unless
// POSTBOX_REQUIRE_NATS_CLI is set, as in CI, which installs it.
func natsCLI(t *testing.T) string {
	p, err := exec.LookPath("nats")
	if err != nil {
		if os.Getenv("POSTBOX_REQUIRE_NATS_CLI") != "" {
			t.Fatal("the nats CLI is not on PATH and POSTBOX_REQUIRE_NATS_CLI is set")
		}
		t.Skip("the nats CLI is not on PATH (go install github.com/nats-io/natscli/nats@v0.5.0)")
	}
	return p
}

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), errb.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

// started is a running postbox command and the lines it prints.
type started struct {
	cmd   *exec.Cmd
	lines chan string
}

// start runs postbox args and waits for a line on stream (stdout or stderr)
// that begins with ready.
func start(t *testing.T, ready string, args ...string) *started {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &started{cmd: cmd, lines: make(chan string, 100)}
	scan := func(r io.Reader) {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}
	go scan(stdout)
	go scan(stderr)
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for {
		line := s.next(t)
		if strings.HasPrefix(line, ready) {
			return s
		}
	}
}

func (s *started) next(t *testing.T) string {
	t.Helper()
	select {
	case line := <-s.lines:
		return line
	case <-time.After(15 * time.Second):
		t.Fatalf("%s printed nothing more", strings.Join(s.cmd.Args, " "))
		return ""
	}
}

func TestCommandOverNATS(t *testing.T) {
	url := natsServer(t)
	cli := natsCLI(t)
	viewer := url + "/viewer"
	l := start(t, "listening on", "listen", viewer, "--reply", "shown", "--json", "--watch", "nats")

	if out, errs, code := run(t, "send", viewer, "patient"); code != 0 || out != "shown\n" {
		t.Fatalf("postbox send %s: exit %d, %q, %q", viewer, code, out, errs)
	}
	if _, errs, code := run(t, "post", viewer, "note", "--count", "2"); code != 0 {
		t.Fatalf("postbox post: exit %d, %q", code, errs)
	}
	for _, kind := range []string{"send", "post", "post"} {
		var m struct{ Kind, Data string }
		if line := l.next(t); json.Unmarshal([]byte(line), &m) != nil || m.Kind != kind {
			t.Fatalf("listen printed %q, want a %s", line, kind)
		}
	}
	// The real nats CLI, knowing nothing of Postbox.
	if out, err := exec.Command(cli, "--server", url, "request", "postbox.viewer", "hello").CombinedOutput(); err != nil || !strings.Contains(string(out), "shown") {
		t.Fatalf("nats request: %v, %q", err, out)
	}
	l.next(t)

	out, errs, code := run(t, "broadcast", "--nats", url, "ping", "--json")
	if code != 0 || !strings.Contains(out, `"name":"viewer"`) || !strings.Contains(out, `"data":"shown"`) {
		t.Fatalf("broadcast --nats: exit %d, %q, %q", code, out, errs)
	}
	l.next(t)
	out, errs, code = run(t, "stats", viewer, "--json")
	var st struct {
		Sends, Posts uint64
		Conns        []any
	}
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Sends < 2 || st.Posts != 2 {
		t.Fatalf("stats over NATS: exit %d, %q, %q", code, out, errs)
	}
	if out, errs, code := run(t, "top", viewer, "--count", "1"); code != 0 || !strings.Contains(out, "viewer") {
		t.Fatalf("top over NATS: exit %d, %q, %q", code, out, errs)
	}
	start(t, "listening on", "listen", url+"/private")
	if _, errs, code := run(t, "stats", url+"/private"); code != 1 || !strings.Contains(errs, "may watch it") {
		t.Fatalf("stats over NATS of an endpoint without --watch nats: exit %d, %q; want 1 and why", code, errs)
	}
	if _, _, code := run(t, "send", url+"/nobody", "x"); code != 3 {
		t.Fatalf("send to a name nobody serves: exit %d, want 3", code)
	}
}

func TestBridgeInTheCommand(t *testing.T) {
	url := natsServer(t)
	cli := natsCLI(t)
	start(t, "listening on", "listen", "ward", "--reply", "from the ward")
	b := start(t, "bridging", "bridge", "--nats", url, "ward")
	if out, err := exec.Command(cli, "--server", url, "request", "postbox.ward", "hello").CombinedOutput(); err != nil || !strings.Contains(string(out), "from the ward") {
		t.Fatalf("nats request through the bridge: %v, %q", err, out)
	}
	if out, errs, code := run(t, "send", url+"/ward", "x"); code != 0 || out != "from the ward\n" {
		t.Fatalf("postbox send through the bridge: exit %d, %q, %q", code, out, errs)
	}
	b.cmd.Process.Signal(syscall.SIGINT)
	var ee *exec.ExitError
	if err := b.cmd.Wait(); !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("bridge after SIGINT: %v, want exit status 130", err)
	}
	if _, errs, code := run(t, "bridge", "--frob"); code != 2 || strings.Count(errs, "\n") != 2 {
		t.Fatalf("bridge with a bad flag: exit %d, %q", code, errs)
	}
}

// postbox bench measures the nats case through the server NATS_URL names,
// and leaves it out of a default run when none is named.
func TestBenchThroughNATS(t *testing.T) {
	t.Setenv("NATS_URL", "")
	out, _, code := run(t, "bench", "--list")
	if code != 0 || !strings.Contains(out, "left out unless named: needs one NATS server") {
		t.Fatalf("bench --list without NATS_URL (exit %d):\n%s", code, out)
	}
	t.Setenv("NATS_URL", natsServer(t))
	out, errOut, code := run(t, "bench", "--transports", "nats", "--baselines", "none",
		"--sizes", "64", "--callers", "1", "--duration", "50ms", "--json", "-")
	if code != 0 {
		t.Fatalf("bench exit %d:\n%s", code, errOut)
	}
	var rep struct {
		Cells []struct {
			Case, Mode, Error string
			Ops               int64
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bench --json -: %v\n%s", err, out)
	}
	modes := map[string]bool{}
	for _, c := range rep.Cells {
		if c.Case != "nats" || c.Error != "" || c.Ops == 0 {
			t.Errorf("cell %+v: want nats measured without an error", c)
		}
		modes[c.Mode] = true
	}
	if len(modes) != 2 {
		t.Fatalf("measured modes %v, want send and post", modes)
	}
}
