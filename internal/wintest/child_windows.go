package wintest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// childEnv names the role a re-executed test binary plays.
const childEnv = "POSTBOX_TEST_CHILD"

// Main runs a child role when the binary was started by Start; otherwise
// it calls run (such as conformance.Main) or, if run is nil, runs the
// tests. Use it from TestMain.
func Main(m *testing.M, roles map[string]func(args []string) int, run func()) {
	if role := os.Getenv(childEnv); role != "" {
		f, ok := roles[role]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown child role %q\n", role)
			os.Exit(2)
		}
		args := strings.Split(os.Getenv(childEnv+"_ARGS"), "\x1f")
		os.Exit(f(args))
	}
	if run != nil {
		run()
	}
	os.Exit(m.Run())
}

// Process is a running child process whose standard output is read line by
// line.
type Process struct {
	Cmd   *exec.Cmd
	lines chan string
	stdin io.WriteCloser
	once  sync.Once
}

// Start runs the test binary itself as a child playing role.
func Start(t testing.TB, role string, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+role, childEnv+"_ARGS="+strings.Join(args, "\x1f"))
	return start(t, cmd)
}

// StartProgram runs an external program (an interop program) as a child.
func StartProgram(t testing.TB, path string, args ...string) *Process {
	t.Helper()
	return start(t, exec.Command(path, args...))
}

func start(t testing.TB, cmd *exec.Cmd) *Process {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	// A pipe of the child's own, copied to ours, rather than our stderr
	// itself: a child that outlived the test (Wine ends processes
	// asynchronously) must not hold the test binary's output open, or go
	// test fails a package whose tests passed ("Test I/O incomplete").
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	p := &Process{Cmd: cmd, lines: make(chan string, 1024), stdin: in}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- strings.TrimRight(sc.Text(), "\r")
		}
	}()
	t.Cleanup(func() { p.Stop() })
	return p
}

// Lines is the child's standard output, line by line, closed at its end.
func (p *Process) Lines() <-chan string { return p.lines }

// Line returns the child's next output line, failing the test if none
// comes within timeout or the child exits.
func (p *Process) Line(t testing.TB, timeout time.Duration) string {
	t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			t.Fatalf("%s exited without the expected output", p.Cmd.Path)
		}
		return l
	case <-time.After(timeout):
		t.Fatalf("no output from %s within %v", p.Cmd.Path, timeout)
	}
	return ""
}

// Expect reads lines until one starts with prefix and returns it.
func (p *Process) Expect(t testing.TB, prefix string, timeout time.Duration) string {
	t.Helper()
	end := time.Now().Add(timeout)
	for {
		l := p.Line(t, time.Until(end))
		if strings.HasPrefix(l, prefix) {
			return l
		}
		t.Logf("child: %s", l)
	}
}

// Stop closes the child's standard input (its signal to exit), waits a
// little, then kills it. It is idempotent.
func (p *Process) Stop() {
	p.once.Do(func() {
		p.stdin.Close()
		done := make(chan struct{})
		go func() {
			p.Cmd.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			p.Cmd.Process.Kill()
			<-done
		}
	})
}
