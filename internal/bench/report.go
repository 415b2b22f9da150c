package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// SchemaVersion is the version of the JSON report; it changes when a field
// changes meaning or goes away (new fields may appear without a change).
const SchemaVersion = 1

// Report is the outcome of one run: every cell, the goals, and where it ran.
type Report struct {
	Schema   int           `json:"schema"`
	Started  time.Time     `json:"started"`
	Host     Host          `json:"host"`
	Duration time.Duration `json:"duration_per_cell_ns"`
	Sizes    []int         `json:"sizes"`
	Callers  []int         `json:"callers"`
	Cases    []CaseInfo    `json:"cases"`
	Cells    []Cell        `json:"cells"`
	Goals    []Goal        `json:"goals"`
}

// CaseInfo describes one measured case in the report.
type CaseInfo struct {
	Name  string `json:"name"`
	Group Group  `json:"group"`
	Note  string `json:"note,omitempty"`
	Local bool   `json:"local,omitempty"` // server in the measuring process
}

// Cell is one measurement: a case, a mode, a payload size and a number of
// concurrent callers.
type Cell struct {
	Case    string  `json:"case"`
	Group   Group   `json:"group"`
	Mode    Mode    `json:"mode"`
	Size    int     `json:"size"`
	Callers int     `json:"callers"`
	Ops     int64   `json:"ops"`
	Seconds float64 `json:"seconds"`
	// OpsPerSec is round trips (send) or messages (post) per second.
	OpsPerSec float64 `json:"ops_per_sec"`
	// MBPerSec is payload megabytes (10^6) per second, one way.
	MBPerSec float64 `json:"mb_per_sec"`
	// Latency is the round-trip distribution (send cells only).
	Latency *Latency `json:"latency,omitempty"`
	// CPUPerOp is the CPU time (user+system) of both processes per
	// operation.
	CPUPerOp time.Duration `json:"cpu_per_op_ns"`
	// VsRaw is the speed relative to the raw Unix-socket baseline of the
	// same mode, size and callers: higher is faster. For one caller it
	// compares p50 latency (raw p50 / this p50); otherwise throughput.
	VsRaw float64 `json:"vs_raw_unix,omitempty"`
	Err   string  `json:"error,omitempty"`
}

// Latency is a round-trip distribution.
type Latency struct {
	P50  time.Duration `json:"p50_ns"`
	P90  time.Duration `json:"p90_ns"`
	P99  time.Duration `json:"p99_ns"`
	P999 time.Duration `json:"p999_ns"`
	Min  time.Duration `json:"min_ns"`
	Max  time.Duration `json:"max_ns"`
	Mean time.Duration `json:"mean_ns"`
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadJSON reads a report written by WriteJSON, refusing other schemas.
func ReadJSON(rd io.Reader) (*Report, error) {
	var r Report
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("bench: reading report: %w", err)
	}
	if r.Schema != SchemaVersion {
		return nil, fmt.Errorf("bench: report schema %d, this program reads %d", r.Schema, SchemaVersion)
	}
	return &r, nil
}

// Find returns the cell for case, mode, size and callers, or nil.
func (r *Report) Find(name string, m Mode, size, callers int) *Cell {
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Case == name && c.Mode == m && c.Size == size && c.Callers == callers {
			return c
		}
	}
	return nil
}
