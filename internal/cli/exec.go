package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/postbox-ipc/postbox"
)

// killGrace is how long a cancelled command has between the request to
// stop (SIGTERM to its process group) and the kill (SIGKILL to the group).
const killGrace = 2 * time.Second

// pipeDelay bounds how long the output is read after the command exits:
// background jobs it started may keep its pipes open.
const pipeDelay = 100 * time.Millisecond

// runExec answers a message with a shell command's output. The command
// gets the data on standard input and the message fields in its
// environment. On Unix it runs in a process group of its own: when the
// sender gives up or the endpoint's grace ends, stopGroup ends every
// process in the group — the shell, its children, their background jobs —
// and runExec returns only then. (On Windows only the shell is killed.)
// A command that exits by itself may leave background jobs running.
func runExec(ctx context.Context, command string, m *postbox.Message) (postbox.Reply, error) {
	if err := ctx.Err(); err != nil {
		return postbox.Reply{}, err
	}
	shell, flag := "/bin/sh", "-c"
	if runtime.GOOS == "windows" {
		shell, flag = "cmd", "/c"
	}
	cmd := exec.Command(shell, flag, command)
	setGroup(cmd)
	cmd.Stdin = bytes.NewReader(m.Data)
	cmd.WaitDelay = pipeDelay
	cmd.Env = append(os.Environ(),
		"POSTBOX_ID="+strconv.FormatUint(uint64(m.ID), 10),
		"POSTBOX_W="+strconv.FormatInt(m.W, 10),
		"POSTBOX_L="+strconv.FormatInt(m.L, 10),
		"POSTBOX_PID="+strconv.Itoa(m.From.PID))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return postbox.Reply{}, err
	}
	var err error
	waited := make(chan struct{})
	go func() { err = cmd.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-ctx.Done():
		_ = stopGroup(cmd, killGrace) // the group is gone or killed; nothing to add to ctx's error
		<-waited                      // the exit status of a command we stopped says nothing new
		return postbox.Reply{}, ctx.Err()
	}
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil // it exited 0; a background job held the output open
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return postbox.Reply{Result: int64(ee.ExitCode())}, fmt.Errorf("%s: exit status %d: %s", command, ee.ExitCode(), msg)
		}
		return postbox.Reply{}, err
	}
	return postbox.Reply{Data: stdout.Bytes()}, nil
}
