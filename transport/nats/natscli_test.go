package nats_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNATSCommandLine: the nats CLI, knowing nothing of Postbox, gets the
// handler's reply from "nats request postbox.viewer hello".
func TestNATSCommandLine(t *testing.T) {
	cli, err := exec.LookPath("nats")
	if err != nil {
		t.Skip("the nats CLI is not on PATH (go install github.com/nats-io/natscli/nats@v0.5.0); TestPlainClient covers a plain nats.go client")
	}
	e := newEnv(t)
	rec := newRecorder()
	e.listen(t, "viewer", rec)
	out, err := exec.Command(cli, "--server", "nats://"+e.hp, "request", "postbox.viewer", "hello").CombinedOutput()
	if err != nil {
		t.Fatalf("nats request: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "re:hello") {
		t.Fatalf("nats request printed %q, want the handler's reply re:hello", out)
	}
	if m := rec.all(); len(m) != 1 || string(m[0].Data) != "hello" {
		t.Fatalf("the handler saw %+v", m)
	}
}
