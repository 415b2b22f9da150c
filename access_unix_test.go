//go:build unix

package postbox_test

import (
	"os/exec"
	"syscall"
)

// runAsNobody makes cmd run as uid/gid 65534.
func runAsNobody(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
}
