//go:build unix

package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// stubborn is a command that ignores SIGTERM (and so does the grandchild
// it starts), writing both PIDs to files in dir; they end only by SIGKILL.
func stubborn(dir string) string {
	return `trap '' TERM; sleep 300 & echo $! > '` + filepath.Join(dir, "grandchild.pid") + `'; ` +
		`echo $$ > '` + filepath.Join(dir, "child.pid") + `'; while :; do sleep 0.1; done`
}

// readPID waits for the command to write a PID to file.
func readPID(t *testing.T, file string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(file)
		if s, ok := strings.CutSuffix(string(b), "\n"); err == nil && ok {
			pid, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("%s: %q", file, b)
			}
			t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) }) // should the test fail
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("the command wrote no PID to %s", file)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// gone reports whether the process is no more: not there, or a zombie
// (an orphan waits as one under an init that does not reap).
func gone(pid int) bool {
	if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state ...: comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && (b[i+2] == 'Z' || b[i+2] == 'X')
}

// waitGone fails the test unless the processes end within 10 s.
func waitGone(t *testing.T, what string, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		for !gone(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: process %d still running", what, pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestExecCancelKillsTheGroup: a cancelled command is stopped with its
// whole process group, SIGKILL following SIGTERM — a child that ignores
// SIGTERM and the grandchild it started in the background end too.
func TestExecCancelKillsTheGroup(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := runExec(ctx, stubborn(dir), &postbox.Message{})
		done <- err
	}()
	child := readPID(t, filepath.Join(dir, "child.pid"))
	grandchild := readPID(t, filepath.Join(dir, "grandchild.pid"))
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("runExec: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runExec did not return after the cancel")
	}
	waitGone(t, "after the cancel", child, grandchild)
}

// TestExecTermEndsTheGroup: SIGTERM reaches a background grandchild even
// when the shell itself is only waiting for it.
func TestExecTermEndsTheGroup(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := runExec(ctx, `sleep 300 & echo $! > '`+filepath.Join(dir, "grandchild.pid")+`'; wait`, &postbox.Message{})
		done <- err
	}()
	grandchild := readPID(t, filepath.Join(dir, "grandchild.pid"))
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("runExec: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runExec did not return after the cancel")
	}
	waitGone(t, "after the cancel", grandchild)
}

// TestExecOrdinaryRun: a command that finishes answers with its output,
// or fails with its exit status and standard error; one that leaves a
// background job holding its output still answers.
func TestExecOrdinaryRun(t *testing.T) {
	m := &postbox.Message{ID: 7, W: 9, Data: []byte("in")}
	r, err := runExec(context.Background(), `read x; echo "$x:$POSTBOX_ID:$POSTBOX_W"`, m)
	if err != nil || string(r.Data) != "in:7:9\n" || r.Result != 0 {
		t.Fatalf("runExec: %+v, %v", r, err)
	}
	r, err = runExec(context.Background(), `echo broken >&2; exit 3`, m)
	if err == nil || r.Result != 3 || !strings.Contains(err.Error(), "exit status 3: broken") {
		t.Fatalf("a failing command: %+v, %v", r, err)
	}
	dir := t.TempDir()
	start := time.Now()
	r, err = runExec(context.Background(), `sleep 300 & echo $! > '`+filepath.Join(dir, "bg.pid")+`'; echo hi`, m)
	readPID(t, filepath.Join(dir, "bg.pid")) // to kill it when done
	if err != nil || string(r.Data) != "hi\n" {
		t.Fatalf("a command with a background job: %+v, %v", r, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("a command with a background job took %v", d)
	}
}

// TestListenExecLeavesNothing: through "postbox listen --exec", neither a
// Send that times out nor a --grace that expires leaves the command's
// processes running.
func TestListenExecLeavesNothing(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		dir := t.TempDir()
		startListen(t, "cli-exec-timeout", "--exec", stubborn(dir))
		if _, _, code := run(t, "", "send", "cli-exec-timeout", "x", "--timeout", "500ms"); code != ExitTimeout {
			t.Fatalf("send: exit %d, want %d (timeout)", code, ExitTimeout)
		}
		pids := []int{readPID(t, filepath.Join(dir, "child.pid")), readPID(t, filepath.Join(dir, "grandchild.pid"))}
		waitGone(t, "after the send timed out", pids...)
	})
	t.Run("grace", func(t *testing.T) {
		dir := t.TempDir()
		cmd := exec.Command(bin, "listen", "cli-exec-grace", "--exec", stubborn(dir), "--grace", "200ms")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		sent := make(chan int, 1)
		go func() {
			deadline := time.Now().Add(10 * time.Second)
			for {
				code := -1 // not run: no t.Fatal off the test's goroutine
				err := exec.Command(bin, "send", "cli-exec-grace", "x", "--timeout", "20s").Run()
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				} else if err == nil {
					code = ExitOK
				}
				if code != ExitNoEndpoint || time.Now().After(deadline) {
					sent <- code
					return
				}
				time.Sleep(20 * time.Millisecond) // not listening yet
			}
		}()
		pids := []int{readPID(t, filepath.Join(dir, "child.pid")), readPID(t, filepath.Join(dir, "grandchild.pid"))}
		cmd.Process.Signal(syscall.SIGTERM)
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		select {
		case <-waited: // its exit status tells of the expired grace
		case <-time.After(10 * time.Second):
			t.Fatal("postbox listen did not exit after its grace")
		}
		waitGone(t, "after the grace expired", pids...)
		if code := <-sent; code == ExitOK {
			t.Fatalf("send: exit %d, want a failure", code)
		}
	})
}
