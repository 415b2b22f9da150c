package shm_test

import (
	"os/exec"
	"syscall"
)

// setPdeathsig kills the helper if the test process dies first.
func setPdeathsig(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
