//go:build unix

package cli

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// screen is a detached tmux session running one command in a real
// pseudo-terminal, on a private tmux server.
type screen struct {
	t    *testing.T
	sock string
}

// newScreen starts command in a 200x50 terminal.
func newScreen(t *testing.T, command string) *screen {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (.ci/run installs it with apt-get)")
	}
	s := &screen{t: t, sock: filepath.Join(shortTemp(t), "tmux")}
	env := "XDG_RUNTIME_DIR=" + os.Getenv("XDG_RUNTIME_DIR")
	s.tmux("new-session", "-d", "-x", "200", "-y", "50", "env "+env+" TERM=xterm "+command)
	t.Cleanup(func() { exec.Command("tmux", "-S", s.sock, "kill-server").Run() })
	return s
}

func (s *screen) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", s.sock}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// capture is what the terminal shows now.
func (s *screen) capture() string { return s.tmux("capture-pane", "-p") }

// waitFor polls the screen until ok accepts it, and returns it.
func (s *screen) waitFor(what string, ok func(string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		text := s.capture()
		if ok(text) {
			return text
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the terminal never showed %s; it shows:\n%s", what, text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// interrupt types Ctrl-C and waits for the command, and so the session,
// to end.
func (s *screen) interrupt() {
	s.t.Helper()
	s.tmux("send-keys", "C-c")
	deadline := time.Now().Add(10 * time.Second)
	for exec.Command("tmux", "-S", s.sock, "has-session").Run() == nil {
		if time.Now().After(deadline) {
			s.t.Fatalf("the command did not stop on Ctrl-C; the terminal shows:\n%s", s.capture())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func shortTemp(t *testing.T) string {
	dir, err := os.MkdirTemp("", "pbx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// fieldsOf returns the fields of the first line starting with prefix.
func fieldsOf(text, prefix string) []string {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			return strings.Fields(line)
		}
	}
	return nil
}

func TestTopInATerminal(t *testing.T) {
	quietListen(t, "cli-tmux-top")
	s := newScreen(t, bin+" top --interval 200ms")
	s.waitFor("the endpoint's row", func(text string) bool { return fieldsOf(text, "cli-tmux-top ") != nil })

	// Traffic shows up as a rate, then as the handled total.
	if _, errs, code := run(t, "", "post", "cli-tmux-top", "x", "--count", "20000"); code != 0 {
		t.Fatalf("post: %s", errs)
	}
	text := s.waitFor("20000 handled", func(text string) bool {
		f := fieldsOf(text, "cli-tmux-top ")
		return len(f) == 15 && f[14] == "20000"
	})
	// The screen is redrawn in place: one header, not a scroll of them.
	if n := strings.Count(text, "postbox top — "); n != 1 {
		t.Fatalf("%d headers on the screen, want 1 (redrawn):\n%s", n, text)
	}
	// Over the refreshes after the burst, some screen showed a rate.
	if _, _, code := run(t, "", "post", "cli-tmux-top", "x", "--count", "20000"); code != 0 {
		t.Fatal("post failed")
	}
	s.waitFor("a message rate", func(text string) bool {
		f := fieldsOf(text, "cli-tmux-top ")
		return len(f) == 15 && f[6] != "0" && f[6] != "-" && f[14] != "20000"
	})
	s.interrupt()
}

func TestSpyInATerminal(t *testing.T) {
	quietListen(t, "cli-tmux-spy")
	s := newScreen(t, bin+" spy cli-tmux-spy --id 0x401")
	s.waitFor("the spy's banner", func(text string) bool { return strings.Contains(text, "spying on cli-tmux-spy") })
	waitSpies(t, "cli-tmux-spy", 1)

	run(t, "", "post", "cli-tmux-spy", "not shown", "--id", "0x402")
	if _, errs, code := run(t, "", "send", "cli-tmux-spy", `{"mrn":456}`, "--id", "0x401", "--w", "7", "--l", "42"); code != 0 {
		t.Fatalf("send: %s", errs)
	}
	text := s.waitFor("the message", func(text string) bool { return strings.Contains(text, "id=0x401") })
	for _, want := range []string{"send id=0x401 w=7 l=42", "uid=0", "unix", `size=11 "{\"mrn\":456}"`, "-> ok", "reply=2B", "took="} {
		if !strings.Contains(text, want) {
			t.Errorf("the spy's line lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "not shown") {
		t.Errorf("the --id filter let 0x402 through:\n%s", text)
	}
	// Gone with Ctrl-C, the spy costs the endpoint nothing more: its
	// subscription ends with its connection.
	s.interrupt()
	waitSpies(t, "cli-tmux-spy", 0)
}

// quietListen runs "postbox listen NAME --reply ok" with its printout
// discarded, so heavy traffic never waits for a reader.
func quietListen(t *testing.T, name string) {
	t.Helper()
	cmd := exec.Command(bin, "listen", name, "--reply", "ok")
	cmd.Stdout = io.Discard
	errp, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	line, _ := bufio.NewReader(errp).ReadString('\n')
	if !strings.HasPrefix(line, "listening on") {
		t.Fatalf("postbox listen: %q", line)
	}
	go io.Copy(io.Discard, errp)
}

// waitSpies polls the endpoint's Stats until it has n spies.
func waitSpies(t *testing.T, name string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _, _ := run(t, "", "stats", name, "--json")
		var st struct{ Spies *int }
		if json.Unmarshal([]byte(out), &st) == nil && st.Spies != nil && *st.Spies == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never had %d spies: %s", name, n, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
