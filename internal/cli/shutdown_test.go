//go:build unix

package cli

import (
	"bufio"
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// TestListenFinishesOnSIGTERM: "postbox listen" under SIGTERM answers the
// messages it accepted, refuses new ones, and exits 0.
func TestListenFinishesOnSIGTERM(t *testing.T) {
	cmd := exec.Command(bin, "listen", "cli-term", "--exec", "sleep 0.3; echo done", "--grace", "10s")
	errp, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(errp)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	if line := <-lines; !strings.HasPrefix(line, "listening on") {
		t.Fatalf("listen: %q", line)
	}
	type result struct {
		out  string
		code int
	}
	results := make(chan result, 2)
	for range 2 { // one runs, one waits
		go func() {
			out, _, code := run(t, "", "send", "cli-term", "x", "--timeout", "20s")
			results <- result{out, code}
		}()
	}
	// A connection made before SIGTERM watches the shutdown.
	c, err := postbox.Dial(context.Background(), "cli-term")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitStats(t, c, func(st postbox.Stats) bool { return st.Running == 1 && st.Queued == 1 })
	cmd.Process.Signal(syscall.SIGTERM)
	waitStats(t, c, func(st postbox.Stats) bool { return st.Draining })
	if _, _, code := run(t, "", "send", "cli-term", "late"); code != ExitNoEndpoint {
		t.Errorf("a send after SIGTERM: exit %d, want %d (no endpoint)", code, ExitNoEndpoint)
	}
	for range 2 {
		if r := <-results; r.code != 0 || r.out != "done\n" {
			t.Fatalf("a send accepted before SIGTERM: exit %d, %q", r.code, r.out)
		}
	}
	if err := cmd.Wait(); exitStatusOf(err) != ExitTerminated {
		t.Fatalf("listen after SIGTERM: %v, want exit status %d", err, ExitTerminated)
	}
	var all []string
	for line := range lines {
		all = append(all, line)
	}
	text := strings.Join(all, "\n")
	if !strings.Contains(text, "shutting down: 1 queued, 1 running") || !strings.Contains(text, "shut down: 2 handled") {
		t.Fatalf("listen's report:\n%s", text)
	}
}

// waitStats polls the endpoint's Stats over c until ok accepts them.
func waitStats(t *testing.T, c *postbox.Conn, ok func(postbox.Stats) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := c.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if ok(st) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the endpoint's stats never matched: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// exitStatusOf is the exit status in a Wait or Run error.
func exitStatusOf(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
