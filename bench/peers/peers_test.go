package peers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox/internal/bench"
	"github.com/postbox-ipc/postbox/internal/testns"
)

const childEnv = "POSTBOX_PEERS_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		in, out, err := bench.ChildStdio()
		if err == nil {
			err = bench.ServeChild(context.Background(), in, out)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(testns.Run(m))
}

func testChild(ctx context.Context) (*exec.Cmd, error) {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	return cmd, nil
}

// TestPeersQuick runs every peer for a few milliseconds per cell, beside
// the Postbox unix transport and the raw baseline, and checks each cell
// produced figures (not how fast they are).
func TestPeersQuick(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	names := []string{"unix", bench.RawRef}
	for _, c := range bench.Cases() {
		if c.Group == bench.GroupPeer {
			names = append(names, c.Name)
		}
	}
	rep, err := bench.Run(ctx, bench.Config{Cases: names, Sizes: []int{64, 64 << 10}, Callers: []int{1, 3},
		Duration: 20 * time.Millisecond, Warmup: 10 * time.Millisecond, Child: testChild})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Cells {
		if c.Err != "" || c.Ops == 0 {
			t.Errorf("%s %s %d B ×%d: %d ops, error %q", c.Case, c.Mode, c.Size, c.Callers, c.Ops, c.Err)
		}
	}
	for _, n := range names {
		if rep.Find(n, bench.ModeSend, 64, 1) == nil {
			t.Errorf("no cell for %s", n)
		}
	}
	if g := rep.Goals[2]; g.Status == bench.GoalNotMeasured {
		t.Errorf("goal %q not measured: %s", g.Name, g.Detail)
	}
}
