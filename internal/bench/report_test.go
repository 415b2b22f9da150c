package bench

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleReport() *Report {
	r := newReport(Config{Sizes: []int{64}, Callers: []int{1, 8}, Duration: time.Second})
	r.Cases = []CaseInfo{{Name: "unix", Group: GroupPostbox}, {Name: RawRef, Group: GroupBaseline}, {Name: "grpc", Group: GroupPeer}}
	lat := func(p50 time.Duration) *Latency {
		return &Latency{P50: p50, P90: p50, P99: p50, P999: p50, Min: p50, Max: p50, Mean: p50}
	}
	r.Cells = []Cell{
		{Case: "unix", Group: GroupPostbox, Mode: ModeSend, Size: 64, Callers: 1, Ops: 100, Seconds: 1, OpsPerSec: 100, Latency: lat(40 * time.Microsecond)},
		{Case: RawRef, Group: GroupBaseline, Mode: ModeSend, Size: 64, Callers: 1, Ops: 100, Seconds: 1, OpsPerSec: 100, Latency: lat(36 * time.Microsecond)},
		{Case: "grpc", Group: GroupPeer, Mode: ModeSend, Size: 64, Callers: 1, Ops: 100, Seconds: 1, OpsPerSec: 100, Latency: lat(160 * time.Microsecond)},
		{Case: "unix", Group: GroupPostbox, Mode: ModeSend, Size: 64, Callers: 8, Ops: 900, Seconds: 1, OpsPerSec: 900, Latency: lat(time.Millisecond)},
		{Case: RawRef, Group: GroupBaseline, Mode: ModeSend, Size: 64, Callers: 8, Ops: 1000, Seconds: 1, OpsPerSec: 1000, Latency: lat(time.Millisecond)},
		{Case: "unix", Group: GroupPostbox, Mode: ModePost, Size: 64, Callers: 1, Err: "boom"},
	}
	r.analyze()
	return r
}

func TestRatiosAndGoals(t *testing.T) {
	r := sampleReport()
	if got := r.Find("unix", ModeSend, 64, 1).VsRaw; got != 0.9 {
		t.Errorf("unix vs raw = %v, want 0.9 (36µs/40µs)", got)
	}
	if got := r.Find("unix", ModeSend, 64, 8).VsRaw; got != 0.9 {
		t.Errorf("unix ×8 vs raw = %v, want 0.9", got)
	}
	want := map[string]string{
		"unix Send p50 vs grpc, 64 B":                       GoalMet, // 4×
		"unix Send p50 vs shmipc, 64 B":                     GoalNotMeasured,
		"unix Send throughput vs raw-unix, 8 callers, 64 B": GoalMet, // exactly 0.9
		"shm Send p50 vs raw-unix, 64 B":                    GoalNotMeasured,
	}
	for _, g := range r.Goals {
		if w, ok := want[g.Name]; ok && g.Status != w {
			t.Errorf("%s: %s (got %v), want %s", g.Name, g.Status, g.Got, w)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := sampleReport()
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	// The schema's field names are part of the contract.
	var raw map[string]any
	if err := json.Unmarshal(b.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "started", "host", "duration_per_cell_ns", "sizes", "callers", "cases", "cells", "goals"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	cell := raw["cells"].([]any)[0].(map[string]any)
	for _, k := range []string{"case", "group", "mode", "size", "callers", "ops", "seconds", "ops_per_sec", "mb_per_sec", "latency", "cpu_per_op_ns", "vs_raw_unix"} {
		if _, ok := cell[k]; !ok {
			t.Errorf("cell JSON lacks %q", k)
		}
	}
	back, err := ReadJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Errorf("round trip changed the report:\n got %+v\nwant %+v", back, r)
	}
}

func TestReadJSONRefusesOtherSchema(t *testing.T) {
	if _, err := ReadJSON(strings.NewReader(`{"schema": 99}`)); err == nil {
		t.Error("schema 99 accepted")
	}
}

func TestWriters(t *testing.T) {
	r := sampleReport()
	var text, md, svg bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteMarkdown(&md, 3); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteChart(&svg); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Send round trip", "p99.9", "error: boom", "Goals", "0.90×"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text tables lack %q:\n%s", s, text.String())
		}
	}
	if !strings.Contains(md.String(), "### Send round trip") || !strings.Contains(md.String(), "| unix | 64B |") {
		t.Errorf("markdown:\n%s", md.String())
	}
	if !strings.HasPrefix(svg.String(), "<svg") {
		t.Errorf("chart does not start with <svg")
	}
}

func TestParseSizes(t *testing.T) {
	got, err := ParseSizes("64,4K,64k,1M,2KiB")
	if err != nil || !reflect.DeepEqual(got, []int{64, 4096, 65536, 1 << 20, 2048}) {
		t.Errorf("ParseSizes = %v, %v", got, err)
	}
	for _, bad := range []string{"", "x", "-1", "2G0", "4T"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
	for _, n := range []int{64, 4096, 1 << 20, 1000} {
		if back, err := ParseSize(FormatSize(n)); err != nil || back != n {
			t.Errorf("FormatSize(%d) = %q does not read back", n, FormatSize(n))
		}
	}
}

func TestDataPathGoals(t *testing.T) {
	r := newReport(Config{Sizes: []int{64}, Callers: []int{1}, Duration: time.Second})
	post := func(name string, rate float64) Cell {
		return Cell{Case: name, Mode: ModePost, Size: 64, Callers: 1, Ops: int64(rate), Seconds: 1, OpsPerSec: rate}
	}
	send := func(name string, size int, p50 time.Duration) Cell {
		return Cell{Case: name, Mode: ModeSend, Size: size, Callers: 1, Ops: 1000, Seconds: 1, OpsPerSec: 1000, Latency: &Latency{P50: p50}}
	}
	r.Cells = []Cell{post("unix", 2e6), post("shm", 3e6), send("shm", 64, 2*time.Microsecond), send(zeroCopyName, 1<<20, 5*time.Microsecond)}
	r.analyze()
	want := map[string]string{
		"shm Post throughput vs unix, 64B":                                        GoalMet, // 1.5× ≥ 1
		"unix Post, 64B: 5.00M msgs/s (× that rate)":                              GoalMissed,
		"shm Post throughput vs raw-unix, 4K":                                     GoalNotMeasured,
		"unix Send p50 vs raw-unix, 1M":                                           GoalNotMeasured,
		"shm-zc Send p50, 1M through a zero-copy buffer, vs shm Send 64 B (≤ 3×)": GoalMet, // 2.5× ≤ 3×
	}
	seen := 0
	for _, g := range r.Goals {
		if w, ok := want[g.Name]; ok {
			seen++
			if g.Status != w {
				t.Errorf("%s: %s (got %v), want %s", g.Name, g.Status, g.Got, w)
			}
		}
	}
	if seen != len(want) {
		var names []string
		for _, g := range r.Goals {
			names = append(names, g.Name)
		}
		t.Fatalf("found %d of %d goals among %q", seen, len(want), names)
	}
}
