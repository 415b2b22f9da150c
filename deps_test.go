package postbox_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestCoreDoesNotImportNATS: NATS lives in its own module
// (transport/nats), so nothing the core builds — tests included — may
// depend on it, and the core's go.mod may not mention it.
func TestCoreDoesNotImportNATS(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH; it lists the core's dependencies")
	}
	out, err := exec.Command(goBin, "list", "-deps", "-test", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	var sawTCP bool
	for _, d := range deps {
		if strings.Contains(d, "nats") {
			t.Errorf("the core depends on %s", d)
		}
		sawTCP = sawTCP || d == "github.com/postbox-ipc/postbox/transport/tcp"
	}
	if !sawTCP {
		t.Fatalf("go list -deps did not list the core's own packages (%d lines)", len(deps))
	}
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(mod), "nats") {
		t.Errorf("the core's go.mod mentions NATS:\n%s", mod)
	}
}
