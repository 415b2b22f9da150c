// Package testproc runs the test binary again as a helper process — a
// receiver to kill, a sender to abandon, a benchmark's peer — and reads
// the lines it prints. The helper learns its part from the environment
// (see the callers' TestMain); it prints a line to say where it stands.
package testproc

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Proc is a running helper process.
type Proc struct {
	Cmd   *exec.Cmd
	lines chan string
	once  sync.Once
}

// Options adjust a helper before it starts.
type Options struct {
	// Env is added to this process's environment.
	Env []string
	// Files are passed as descriptors 3 onwards.
	Files []*os.File
	// Setup, if set, adjusts the command last (SysProcAttr, say).
	Setup func(*exec.Cmd)
	// Unmanaged leaves killing the helper to the caller; by default it
	// is killed when the test ends.
	Unmanaged bool
}

// Start runs the test binary with no tests (-test.run=^$) and opts. Its
// stderr is this process's; its stdout is read line by line (Expect).
func Start(tb testing.TB, opts Options) *Proc {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), opts.Env...)
	cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	// A pipe of the helper's own, copied to ours, rather than our stderr
	// itself: a helper that outlived the test must not hold the test
	// binary's output open (go test then fails a package whose tests
	// passed: "Test I/O incomplete").
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	cmd.WaitDelay = 5 * time.Second
	cmd.ExtraFiles = opts.Files
	if opts.Setup != nil {
		opts.Setup(cmd)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &Proc{Cmd: cmd, lines: make(chan string, 64)}
	if !opts.Unmanaged {
		tb.Cleanup(p.Kill)
	}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	return p
}

// Expect waits up to timeout for a line that starts with prefix and returns
// it, skipping others. A line that starts with "error " fails the test, as
// does the helper's exit or the timeout.
func (p *Proc) Expect(tb testing.TB, prefix string, timeout time.Duration) string {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				tb.Fatalf("helper exited before printing %q", prefix)
			}
			if strings.HasPrefix(line, "error ") && !strings.HasPrefix(prefix, "error ") {
				tb.Fatalf("helper: %s", line)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-deadline:
			tb.Fatalf("helper did not print %q within %v", prefix, timeout)
		}
	}
}

// Kill ends the helper with SIGKILL (TerminateProcess on Windows) and
// reaps it. It is idempotent.
func (p *Proc) Kill() {
	p.once.Do(func() {
		p.Cmd.Process.Kill()
		p.Cmd.Wait()
	})
}

// PickAddr chooses, among the addresses a helper endpoint printed, the one
// with the scheme of example; else the first; else example.
func PickAddr(addrs []string, example string) string {
	scheme, _, _ := strings.Cut(example, ":")
	for _, a := range addrs {
		if strings.HasPrefix(a, scheme+":") {
			return a
		}
	}
	if len(addrs) > 0 {
		return addrs[0]
	}
	return example
}
