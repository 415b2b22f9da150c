package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// ChildCommand returns a Config.Child that re-executes this program with
// args (which must make it call ServeChild).
func ChildCommand(args ...string) func(ctx context.Context) (*exec.Cmd, error) {
	return func(ctx context.Context) (*exec.Cmd, error) {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		return exec.CommandContext(ctx, exe, args...), nil
	}
}

// child is the measuring process's handle on the child process.
type child struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
	enc *json.Encoder
}

// startChild starts cmd with pipes for the protocol; its stderr goes to
// ours so a crash is visible.
func startChild(cmd *exec.Cmd) (*child, error) {
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: starting the child: %w", err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	return &child{cmd: cmd, in: in, out: sc, enc: json.NewEncoder(in)}, nil
}

// call sends one request and reads its answer. A child that hangs is
// killed by the command's context.
func (c *child) call(req childRequest) (childResponse, error) {
	var resp childResponse
	if err := c.enc.Encode(req); err != nil {
		return resp, fmt.Errorf("%w: %s: %v", errChild, req.Op, err)
	}
	if !c.out.Scan() {
		return resp, fmt.Errorf("%w: %s: no answer (exited?): %v", errChild, req.Op, c.out.Err())
	}
	if err := json.Unmarshal(c.out.Bytes(), &resp); err != nil {
		return resp, fmt.Errorf("%w: %s: %v", errChild, req.Op, err)
	}
	if resp.Err != "" {
		return resp, fmt.Errorf("%w: %s %s: %s", errChild, req.Op, req.Case, resp.Err)
	}
	return resp, nil
}

// cpu is the child's CPU time so far.
func (c *child) cpu() time.Duration {
	r, err := c.call(childRequest{Op: "cpu"})
	if err != nil {
		return 0
	}
	return time.Duration(r.CPU)
}

// close asks the child to quit and waits for it.
func (c *child) close() error {
	_, _ = c.call(childRequest{Op: "quit"})
	c.in.Close()
	return c.cmd.Wait()
}
