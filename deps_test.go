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

// TestGoDocShowsTheTypes: the public types are types of this package, not
// aliases of internal ones, so go doc (and pkg.go.dev) shows their fields.
func TestGoDocShowsTheTypes(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH; it renders the documentation")
	}
	out, err := exec.Command(goBin, "doc", "-all", ".").Output()
	if err != nil {
		t.Fatalf("go doc: %v", err)
	}
	doc := string(out)
	for _, want := range []string{
		"type Message struct", "\tData []byte", "type Reply struct", "type Peer struct",
		"type Stats struct", "\tHeld      int64", "type RemoteError struct", "\tCode    Code",
		"type Code uint32", "type LostError struct", "type SpyFilter struct", "type Counts struct",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("go doc -all does not show %q", want)
		}
	}
}
