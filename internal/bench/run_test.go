package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestRunQuick is the smoke test: every case, two sizes, both caller
// counts, a few milliseconds per cell. It checks that every cell produced
// figures, not how fast they are.
func TestRunQuick(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	rep, err := Run(ctx, Config{
		Sizes: []int{64, 4096}, Callers: []int{1, 3},
		Duration: 20 * time.Millisecond, Warmup: 5 * time.Millisecond,
		Child: testChild, Progress: NewProgress(&progress, false),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Cells) == 0 {
		t.Fatal("no cells")
	}
	for _, c := range rep.Cells {
		if c.Err != "" {
			t.Errorf("%s: %s", cellName(c), c.Err)
			continue
		}
		if c.Ops <= 0 || c.OpsPerSec <= 0 {
			t.Errorf("%s: no operations", cellName(c))
		}
		if c.Mode == ModeSend && c.Latency == nil {
			t.Errorf("%s: no latency", cellName(c))
		}
	}
	for _, want := range []string{"unix", "inproc", "raw-unix", "raw-tcp", "memcpy"} {
		if rep.Find(want, ModeSend, 64, 1) == nil {
			t.Errorf("no %s cell", want)
		}
	}
	if c := rep.Find("unix", ModeSend, 64, 1); c != nil && c.VsRaw <= 0 {
		t.Errorf("unix has no ratio to raw-unix")
	}
	if got := strings.Count(progress.String(), "\n"); got != len(rep.Cells) {
		t.Errorf("progress printed %d lines for %d cells", got, len(rep.Cells))
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + text.String())
}

// TestRunModes runs only the Post cells of two cases, as --modes post does.
func TestRunModes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{
		Cases: []string{"unix", "raw-unix"}, Modes: []Mode{ModePost}, Sizes: []int{64},
		Duration: 20 * time.Millisecond, Warmup: 5 * time.Millisecond, Child: testChild,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Cells) != 2 {
		t.Fatalf("%d cells, want the two Post cells", len(rep.Cells))
	}
	for _, c := range rep.Cells {
		if c.Mode != ModePost || c.Err != "" || c.Ops <= 0 {
			t.Errorf("%s: mode %s, error %q, %d ops", cellName(c), c.Mode, c.Err, c.Ops)
		}
	}
}
