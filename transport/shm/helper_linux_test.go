package shm_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// setPdeathsig kills the helper if the test process dies first.
func setPdeathsig(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// helper is a running helper process.
type helper struct {
	cmd   *exec.Cmd
	lines chan string
	ready []string // the words after "ready"
}

// startHelper starts role with arg and extra descriptors (fd 3 onwards)
// and waits until it is ready.
func startHelper(tb testing.TB, role, arg string, files ...*os.File) *helper {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envHelper+"="+role, envArg+"="+arg)
	cmd.Stderr = os.Stderr
	cmd.ExtraFiles = files
	setPdeathsig(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	h := &helper{cmd: cmd, lines: make(chan string, 16)}
	tb.Cleanup(h.kill)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		close(h.lines)
	}()
	line := h.expect(tb, "ready")
	h.ready = strings.Fields(line)[1:]
	return h
}

// expect waits for a line that starts with prefix.
func (h *helper) expect(tb testing.TB, prefix string) string {
	tb.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-h.lines:
			if !ok {
				tb.Fatalf("helper exited before printing %q", prefix)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timeout:
			tb.Fatalf("helper did not print %q within 30s", prefix)
		}
	}
}

// kill ends the helper with SIGKILL and reaps it.
func (h *helper) kill() {
	h.cmd.Process.Kill()
	h.cmd.Wait()
}
