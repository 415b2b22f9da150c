package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox/internal/testns"
)

// bin is the postbox binary built once for the process tests.
var bin string

func TestMain(m *testing.M) {
	cleanup := testns.Setup()
	bin = testns.File("postbox-cli-test")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/postbox").CombinedOutput(); err != nil {
		cleanup()
		panic("building postbox: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// run runs the binary and returns stdout, stderr and the exit status.
func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// listener is a running "postbox listen".
type listener struct {
	cmd   *exec.Cmd
	lines chan string
	ready string // its "listening on ..." line
}

func startListen(t *testing.T, args ...string) *listener {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"listen"}, args...)...)
	out, _ := cmd.StdoutPipe()
	errp, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l := &listener{cmd: cmd, lines: make(chan string, 100)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			l.lines <- sc.Text()
		}
	}()
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(errp)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "listening on") {
				ready <- sc.Text()
			}
		}
	}()
	select {
	case l.ready = <-ready:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("postbox listen did not start")
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	return l
}

func (l *listener) next(t *testing.T) string {
	t.Helper()
	select {
	case line := <-l.lines:
		return line
	case <-time.After(10 * time.Second):
		t.Fatal("postbox listen printed nothing")
		return ""
	}
}

func TestSendAndListen(t *testing.T) {
	l := startListen(t, "cli-a", "--reply", "got it")
	out, errs, code := run(t, "", "send", "cli-a", `{"mrn":456}`, "--id", "0x4A", "--w", "7", "--l", "-42")
	if code != 0 || out != "got it\n" {
		t.Fatalf("send: exit %d, %q, %q", code, out, errs)
	}
	line := l.next(t)
	for _, want := range []string{"id=0x4a", "w=7", "l=-42", `data="{\"mrn\":456}"`, "uid=", "transport=unix"} {
		if !strings.Contains(line, want) {
			t.Errorf("listen printed %q, missing %q", line, want)
		}
	}
	out, _, code = run(t, "from stdin", "send", "cli-a", "-", "--json")
	var obj map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &obj) != nil || obj["data"] != "got it" || obj["result"] != 0.0 {
		t.Fatalf("send --json: exit %d, %q", code, out)
	}
	if !strings.Contains(l.next(t), `data="from stdin"`) {
		t.Fatal("data from stdin did not arrive")
	}
	f := filepath.Join(t.TempDir(), "payload")
	os.WriteFile(f, []byte("from a file"), 0o600)
	if _, _, code := run(t, "", "send", "cli-a", "@"+f); code != 0 {
		t.Fatalf("send @file: exit %d", code)
	}
	if !strings.Contains(l.next(t), `data="from a file"`) {
		t.Fatal("data from a file did not arrive")
	}
}

func TestListenJSONAndPostCount(t *testing.T) {
	l := startListen(t, "cli-b", "--json")
	if _, errs, code := run(t, "", "post", "cli-b", "hello", "--id", "0x401", "--count", "5"); code != 0 {
		t.Fatalf("post: exit %d %s", code, errs)
	}
	for i := range 5 {
		var obj map[string]any
		line := l.next(t)
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %d is not JSON: %q", i, line)
		}
		from, _ := obj["from"].(map[string]any)
		if obj["id"] != float64(0x401) || obj["data"] != "hello" || obj["encoding"] != "utf-8" || obj["kind"] != "post" ||
			obj["time"] == nil || from["pid"] == nil || from["transport"] != "unix" {
			t.Fatalf("line %d: %v", i, obj)
		}
	}
}

func TestExitCodes(t *testing.T) {
	startListen(t, "cli-c", "--exec", `read x; if [ "$x" = slow ]; then sleep 5; elif [ "$x" = fail ]; then echo broken >&2; exit 3; else echo "echo:$x:$POSTBOX_W"; fi`)
	cases := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"send", "cli-c", "hi", "--w", "9"}, ExitOK, "echo:hi:9\n"},
		{[]string{"send", "cli-nobody", "hi"}, ExitNoEndpoint, ""},
		{[]string{"send", "cli-c", "slow", "--timeout", "300ms"}, ExitTimeout, ""},
		{[]string{"send", "cli-c", "fail"}, ExitRemote, ""},
		{[]string{"send"}, ExitUsage, ""},
		{[]string{"send", "cli-c", "--id", "banana"}, ExitUsage, ""},
		{[]string{"frobnicate"}, ExitUsage, ""},
		{[]string{"send", "--help"}, ExitOK, ""},
	}
	for _, c := range cases {
		out, errs, code := run(t, "", c.args...)
		if code != c.code || (c.out != "" && out != c.out) {
			t.Errorf("postbox %s: exit %d (want %d), out %q, err %q", strings.Join(c.args, " "), code, c.code, out, errs)
		}
		if code != ExitOK && code != ExitUsage && strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("postbox %s: error is not one line: %q", strings.Join(c.args, " "), errs)
		}
	}
}

func TestLsAndBroadcast(t *testing.T) {
	startListen(t, "cli-d", "--reply", "d here")
	startListen(t, "cli-e", "--reply", "e here")
	out, _, code := run(t, "", "ls", "--json")
	var eps []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &eps) != nil {
		t.Fatalf("ls --json: exit %d, %q", code, out)
	}
	names := map[string]bool{}
	for _, e := range eps {
		names[e["name"].(string)] = true
	}
	if !names["cli-d"] || !names["cli-e"] {
		t.Fatalf("ls lists %v", names)
	}
	out, _, _ = run(t, "", "ls")
	if !strings.HasPrefix(out, "NAME") || !strings.Contains(out, "cli-d") {
		t.Fatalf("ls table: %q", out)
	}
	out, _, code = run(t, "", "broadcast", "ping", "--json")
	if code != 0 || !strings.Contains(out, `"data":"d here"`) || !strings.Contains(out, `"data":"e here"`) {
		t.Fatalf("broadcast: exit %d, %q", code, out)
	}
}

func TestListenStopsCleanlyOnSignal(t *testing.T) {
	l := startListen(t, "cli-f")
	l.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- l.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupt {
			t.Fatalf("listen exited with %v after SIGINT, want status %d", err, ExitInterrupt)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("listen did not stop on SIGINT")
	}
	if _, _, code := run(t, "", "send", "cli-f", "x"); code != ExitNoEndpoint {
		t.Fatalf("send after listen stopped: exit %d, want %d", code, ExitNoEndpoint)
	}
}

func TestDemo(t *testing.T) {
	out, errs, code := run(t, "", "demo", "--rounds", "200")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{
		"WM_COPYDATA from pid", "user dba opens patient mrn=456 in ward 123",
		`-> result 1, "viewer shows mrn 456"`,
		`WM_USER+1 posted by pid`, `w=7 l=42 data={"userCode":"dba","wardCode":123,"mrn":456}`,
		"200 round trips", "[viewer] closed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// In-process: Run itself, without a binary.
func TestRunInProcess(t *testing.T) {
	var out, errb syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"listen", "cli-g", "--reply", "inproc"}, nil, &out, &errb) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errb.String(), "listening") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	var sout bytes.Buffer
	if code := Run(context.Background(), []string{"send", "inproc:cli-g", "x"}, nil, &sout, io.Discard); code != 0 || sout.String() != "inproc\n" {
		t.Fatalf("send: %d %q (listen said %q)", code, sout.String(), errb.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("listen exited %d: %s", code, errb.String())
	}
	if code := Run(context.Background(), nil, nil, io.Discard, io.Discard); code != ExitUsage {
		t.Fatalf("no arguments: exit %d", code)
	}
}

func TestParseNumber(t *testing.T) {
	for in, want := range map[string]int64{"74": 74, "0x4A": 74, "0X4a": 74, "-42": -42, "0xFFFFFFFFFFFFFFFF": -1} {
		if got, err := parseNumber(in, 64); err != nil || got != want {
			t.Errorf("parseNumber(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0x", "4A", "1e3", "0x1_0"} {
		if _, err := parseNumber(in, 64); err == nil {
			t.Errorf("parseNumber(%q) accepted", in)
		}
	}
	if _, err := parseNumber("0x100000000", 32); err == nil {
		t.Error("a 33-bit ID accepted")
	}
}
