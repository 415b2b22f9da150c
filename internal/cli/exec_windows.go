package cli

import (
	"os/exec"
	"time"
)

// setGroup does nothing on Windows: the command runs as an ordinary child.
func setGroup(cmd *exec.Cmd) {}

// stopGroup terminates the started command at once; Windows has no
// SIGTERM to offer first, so grace is unused. Processes the command
// started are not in reach: that would take a job object.
func stopGroup(cmd *exec.Cmd, grace time.Duration) error {
	return cmd.Process.Kill()
}
