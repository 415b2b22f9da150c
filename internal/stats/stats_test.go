package stats

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox/internal/transport"
)

func TestHistogramBucketsAndQuantiles(t *testing.T) {
	var c Counters
	for _, d := range []time.Duration{500 * time.Nanosecond, 1 * time.Microsecond, 3 * time.Microsecond, 15 * time.Millisecond, time.Minute} {
		c.Handled(d, 0, 0)
	}
	var s Counts
	c.AddTo(&s)
	h := s.Latency
	want := map[int]uint64{0: 2, 2: 1, 13: 1, 22: 1} // ≤1µs, ≤5µs, ≤20ms, +Inf
	for i, n := range h.Counts {
		if n != want[i] {
			t.Errorf("bucket %d (≤%v) has %d, want %d", i, boundOf(i), n, want[i])
		}
	}
	if s.Handled != 5 || h.Count() != 5 {
		t.Fatalf("handled %d, count %d, want 5", s.Handled, h.Count())
	}
	cases := []struct {
		q      float64
		lo, hi time.Duration
	}{
		{0.2, 0, time.Microsecond},
		{0.6, 2 * time.Microsecond, 5 * time.Microsecond},
		{0.8, 10 * time.Millisecond, 20 * time.Millisecond},
		{1, 10 * time.Second, 10 * time.Second},
	}
	for _, tc := range cases {
		if got := h.Quantile(tc.q); got < tc.lo || got > tc.hi {
			t.Errorf("Quantile(%v) = %v, want in [%v, %v]", tc.q, got, tc.lo, tc.hi)
		}
	}
	if (Histogram{}).Quantile(0.5) != 0 || (Histogram{}).Mean() != 0 {
		t.Error("an empty histogram has a quantile or mean")
	}
	if d := h.Sub(h); d.Count() != 0 || d.Sum != 0 {
		t.Errorf("h - h = %+v", d)
	}
}

func boundOf(i int) any {
	if i < len(Bounds) {
		return Bounds[i]
	}
	return "+Inf"
}

func TestKinds(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{errors.New("x"), "handler"},
		{transport.PanicError("p"), "panic"},
		{transport.ErrTimeout, "timeout"},
		{transport.ErrDenied, "denied"},
		{transport.ErrDraining, "closed"},
		{&transport.RemoteError{Code: 200}, "handler"},
	}
	for _, c := range cases {
		if got := KindOf(c.err).String(); got != c.want {
			t.Errorf("KindOf(%v) = %s, want %s", c.err, got, c.want)
		}
	}
	if KindOf(nil) != 0 || Kind(99).String() != "other" {
		t.Error("nil or unknown kinds")
	}
}

func TestFoldKeepsTotals(t *testing.T) {
	var conn, total Counters
	conn.Received(true, 10)
	conn.Received(false, 0)
	conn.Handled(time.Millisecond, 4, KindHandler)
	conn.Error(KindDropped)
	conn.Fold(&total)
	var s Counts
	total.AddTo(&s)
	if s.Sends != 1 || s.Posts != 1 || s.BytesIn != 10 || s.BytesOut != 4 || s.Handled != 1 ||
		s.Errors["handler"] != 1 || s.Errors["dropped"] != 1 || s.ErrorCount() != 2 {
		t.Fatalf("folded: %+v", s)
	}
}

func TestPrometheusEscapesLabels(t *testing.T) {
	st := Endpoint{Name: "a\"b\\c\nd", Conns: []Conn{{ID: 3, Peer: transport.Peer{PID: 7, UID: 8, Transport: "unix"}}}}
	var buf bytes.Buffer
	if err := st.WritePrometheus(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, `endpoint="a\"b\\c\nd"`) {
		t.Errorf("label not escaped:\n%s", out)
	}
	if !strings.Contains(out, `postbox_connection_queue_depth{endpoint="a\"b\\c\nd",conn="3",pid="7",uid="8",transport="unix"} 0`) {
		t.Errorf("per-connection series missing:\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Count(line, "\n") > 0 || (!strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "postbox_")) {
			t.Fatalf("bad line %q", line)
		}
	}
}

func BenchmarkCounters(b *testing.B) {
	var c Counters
	b.ReportAllocs()
	for b.Loop() {
		start := Now()
		c.Received(true, 64)
		c.Handled(Now()-start, 64, 0)
	}
}
