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

// runExec answers a message with a shell command's output. The command
// gets the data on standard input and the message fields in its
// environment; it is killed when the sender gives up.
func runExec(ctx context.Context, command string, m *postbox.Message) (postbox.Reply, error) {
	shell, flag := "/bin/sh", "-c"
	if runtime.GOOS == "windows" {
		shell, flag = "cmd", "/c"
	}
	cmd := exec.CommandContext(ctx, shell, flag, command)
	cmd.Stdin = bytes.NewReader(m.Data)
	cmd.WaitDelay = 100 * time.Millisecond // grandchildren holding the pipes
	cmd.Env = append(os.Environ(),
		"POSTBOX_ID="+strconv.FormatUint(uint64(m.ID), 10),
		"POSTBOX_W="+strconv.FormatInt(m.W, 10),
		"POSTBOX_L="+strconv.FormatInt(m.L, 10),
		"POSTBOX_PID="+strconv.Itoa(m.From.PID))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return postbox.Reply{}, ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return postbox.Reply{Result: int64(ee.ExitCode())}, fmt.Errorf("%s: exit status %d: %s", command, ee.ExitCode(), msg)
		}
		return postbox.Reply{}, err
	}
	return postbox.Reply{Data: out}, nil
}
