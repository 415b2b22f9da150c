//go:build unix

package postbox_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// starter is one process racing to listen as a name.
type starter struct {
	cmd  *exec.Cmd
	line string // "ready ADDRS" or "error …"
}

// startStarters starts n processes that listen as name at once and
// returns them with their first line of output.
func startStarters(t *testing.T, name string, n int) []*starter {
	t.Helper()
	exe, _ := os.Executable()
	ss := make([]*starter, n)
	var wg sync.WaitGroup
	for i := range ss {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), envHold+"="+name, "GORACE=atexit_sleep_ms=0")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		ss[i] = &starter{cmd: cmd}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		wg.Go(func() {
			line, _ := bufio.NewReader(out).ReadString('\n')
			ss[i].line = strings.TrimSpace(line)
		})
	}
	for _, s := range ss { // started together, after all are prepared
		if err := s.cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	return ss
}

// 100 processes start as one name at once, over a free name and over a
// dead owner's leftovers: exactly one wins, the others fail with
// ErrNameInUse, and the winner's socket is never removed or replaced.
func TestConcurrentStartersAcrossProcesses(t *testing.T) {
	const n = 100
	rounds := 1
	if os.Getenv("POSTBOX_NIGHTLY") != "" {
		rounds = 10
	}
	for _, stale := range []bool{false, true} {
		t.Run("stale="+strconv.FormatBool(stale), func(t *testing.T) {
			for r := range rounds {
				raceStarters(t, "starters-"+strconv.FormatBool(stale)+"-"+strconv.Itoa(r), n, stale)
			}
		})
	}
}

func raceStarters(t *testing.T, name string, n int, stale bool) {
	t.Helper()
	if stale {
		owner := holdInChild(t, name)
		owner.Process.Kill() // SIGKILL: socket, lock and info stay behind
		owner.Wait()
	}
	start := time.Now()
	ss := startStarters(t, name, n)
	var winner *starter
	for _, s := range ss {
		switch {
		case strings.HasPrefix(s.line, "ready"):
			if winner != nil {
				t.Fatalf("two winners: pids %d and %d", winner.cmd.Process.Pid, s.cmd.Process.Pid)
			}
			winner = s
		case !strings.Contains(s.line, "name in use"):
			t.Errorf("a starter failed otherwise than with ErrNameInUse: %q", s.line)
		}
	}
	if winner == nil {
		t.Fatalf("no starter of %d won", n)
	}
	sock := filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "postbox", name+".sock")
	before := inode(t, sock)
	for _, s := range ss { // the losers exit by themselves
		if s != winner {
			s.cmd.Wait()
		}
	}
	if after := inode(t, sock); after != before {
		t.Fatalf("the winner's socket was replaced (inode %d → %d)", before, after)
	}
	c, err := postbox.Dial(ctxT(t), name)
	if err != nil {
		t.Fatalf("the winner after %d losers exited: %v", n-1, err)
	}
	defer c.Close()
	if _, err := c.Send(ctxT(t), postbox.Message{}); err != nil || c.Peer().PID != winner.cmd.Process.Pid {
		t.Fatalf("Send reached pid %d (%v), want the winner %d", c.Peer().PID, err, winner.cmd.Process.Pid)
	}
	t.Logf("%d starters (stale leftovers: %v): one winner, %d × ErrNameInUse, in %v; the winner's socket untouched", n, stale, n-1, time.Since(start).Round(time.Millisecond))
	winner.cmd.Process.Kill()
	winner.cmd.Wait()
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}
