package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// bridgeProgram is the command that "postbox bridge" runs. The bridge
// needs NATS, which lives in its own module so that this binary never
// depends on it; the NATS module builds it:
//
//	go install github.com/postbox-ipc/postbox/transport/nats/cmd/postbox-bridge@latest
const bridgeProgram = "postbox-bridge"

func init() {
	register("bridge", "bridge local endpoints to NATS and back (runs "+bridgeProgram+")", runBridge)
}

// runBridge runs postbox-bridge — next to this executable, or on PATH —
// with the same arguments and standard streams, and passes an interrupt on.
func runBridge(e *env, args []string) error {
	prog, err := findBridge()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(e.ctx, prog, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && e.ctx.Err() == nil {
		return exitStatus{ee.ExitCode()}
	}
	if e.ctx.Err() != nil {
		return nil // stopped by the interrupt it was passed
	}
	return err
}

func findBridge() (string, error) {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), bridgeProgram)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath(bridgeProgram)
	if err != nil {
		return "", fmt.Errorf("%s not found next to postbox or on PATH: the bridge is part of the NATS module; install it with\n"+
			"  go install github.com/postbox-ipc/postbox/transport/nats/cmd/%s@latest", bridgeProgram, bridgeProgram)
	}
	return p, nil
}

// exitStatus passes a child command's exit status through.
type exitStatus struct{ code int }

func (e exitStatus) Error() string {
	return fmt.Sprintf("%s exited with status %d", bridgeProgram, e.code)
}
