package shm_test

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox/internal/testproc"
)

// helper is a running helper process.
type helper struct{ *testproc.Proc }

// startHelper starts role with arg and extra descriptors (fd 3 onwards)
// and waits until it is ready. The helper is killed if the test process
// dies first.
func startHelper(tb testing.TB, role, arg string, files ...*os.File) *helper {
	tb.Helper()
	h := &helper{testproc.Start(tb, testproc.Options{
		Env:   []string{envHelper + "=" + role, envArg + "=" + arg},
		Files: files,
		Setup: func(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} },
	})}
	h.expect(tb, "ready")
	return h
}

// expect waits for a line that starts with prefix.
func (h *helper) expect(tb testing.TB, prefix string) string {
	tb.Helper()
	return h.Expect(tb, prefix, 30*time.Second)
}

// kill ends the helper with SIGKILL and reaps it.
func (h *helper) kill() { h.Kill() }
