package postbox_test

import "os/exec"

// runAsNobody would start cmd as another user; Windows has no uid to
// switch to, and TestOtherUsers skips itself there (os.Geteuid is -1).
func runAsNobody(*exec.Cmd) {}
