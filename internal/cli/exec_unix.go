//go:build unix

package cli

import (
	"errors"
	"os/exec"
	"syscall"
	"time"
)

// groupPoll is how often stopGroup looks whether the group is empty.
const groupPoll = 20 * time.Millisecond

// setGroup makes the command, once started, the leader of a new process
// group, which every process it starts joins (unless one leaves it, as
// setsid does).
func setGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// stopGroup ends the started command's process group: SIGTERM to every
// process in it at once, SIGKILL to whatever is left after grace — the
// shell, or the background jobs that outlived it. It returns when the
// group is empty or SIGKILL was sent. A group whose members are all
// zombies is not empty; they are left to their parents (or init) to reap.
func stopGroup(cmd *exec.Cmd, grace time.Duration) error {
	pgid := cmd.Process.Pid
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil {
		return ignoreESRCH(err)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		time.Sleep(groupPoll)
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return nil
		}
	}
	return ignoreESRCH(syscall.Kill(-pgid, syscall.SIGKILL))
}

// ignoreESRCH drops the error that says the group is already gone.
func ignoreESRCH(err error) error {
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}
