package shm_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// Helper processes: the test binary re-run with envHelper naming a role
// from helpers. Each prints "ready" (and perhaps more words) on stdout once
// set up, then works until killed.
const (
	envHelper  = "POSTBOX_SHM_HELPER"
	envArg     = "POSTBOX_SHM_HELPER_ARG"
	envProfile = "POSTBOX_SHM_HELPER_CPUPROFILE" // write the helper's CPU profile of its first 5s here
)

// profile starts a CPU profile into path and returns its stop function.
func profile(path string) func() {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return func() {}
	}
	pprof.StartCPUProfile(f)
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// helpers maps a role to its main function; platform files add theirs.
var helpers = map[string]func(arg string) error{}

// runChild runs the test binary as a helper when the environment asks for
// one, and reports whether it did.
func runChild() bool {
	role := os.Getenv(envHelper)
	if role == "" {
		return false
	}
	run, ok := helpers[role]
	if !ok {
		fmt.Fprintln(os.Stderr, "no helper", role)
		os.Exit(2)
	}
	if path := os.Getenv(envProfile); path != "" {
		stop := profile(path)
		go func() { // helpers run until killed: profile for a while, then save
			time.Sleep(5 * time.Second)
			stop()
		}()
	}
	if err := run(os.Getenv(envArg)); err != nil {
		fmt.Fprintln(os.Stderr, "helper", role+":", err)
		os.Exit(1)
	}
	os.Exit(0)
	return true
}

// helper is a running helper process.
type helper struct {
	cmd   *exec.Cmd
	lines chan string
	ready []string // the words after "ready"
}

// startHelper starts role with arg and extra descriptors (fd 3 onwards)
// and waits until it is ready.
func startHelper(tb testing.TB, role, arg string, files ...*os.File) *helper {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envHelper+"="+role, envArg+"="+arg)
	cmd.Stderr = os.Stderr
	cmd.ExtraFiles = files
	setPdeathsig(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	h := &helper{cmd: cmd, lines: make(chan string, 16)}
	tb.Cleanup(h.kill)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		close(h.lines)
	}()
	line := h.expect(tb, "ready")
	h.ready = strings.Fields(line)[1:]
	return h
}

// expect waits for a line that starts with prefix.
func (h *helper) expect(tb testing.TB, prefix string) string {
	tb.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-h.lines:
			if !ok {
				tb.Fatalf("helper exited before printing %q", prefix)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timeout:
			tb.Fatalf("helper did not print %q within 30s", prefix)
		}
	}
}

// kill ends the helper with SIGKILL and reaps it.
func (h *helper) kill() {
	h.cmd.Process.Kill()
	h.cmd.Wait()
}
