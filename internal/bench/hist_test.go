package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramKnownSample(t *testing.T) {
	var h Histogram
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.9, 900 * time.Microsecond}, {0.99, 990 * time.Microsecond}, {0.999, 999 * time.Microsecond}} {
		if got := h.Quantile(c.q); !near(got, c.want) {
			t.Errorf("p%v = %v, want %v within 1%%", c.q*100, got, c.want)
		}
	}
	l := h.Latency()
	if l.Min != time.Microsecond || l.Max != time.Millisecond {
		t.Errorf("min %v max %v, want 1µs and 1ms exactly", l.Min, l.Max)
	}
	if !near(l.Mean, 500500*time.Nanosecond) {
		t.Errorf("mean %v, want 500.5µs", l.Mean)
	}
}

// TestHistogramMatchesSort compares with exact nearest-rank percentiles of
// a random sample spanning six decades.
func TestHistogramMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	var all []time.Duration
	for range 50000 {
		d := time.Duration(r.ExpFloat64() * float64(time.Duration(1)<<uint(r.IntN(20))))
		all = append(all, d)
		h.Record(d)
	}
	slices.Sort(all)
	for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999, 1} {
		rank := int(float64(len(all))*q+0.999999) - 1
		if got, want := h.Quantile(q), all[max(rank, 0)]; !near(got, want) {
			t.Errorf("q%v = %v, want %v", q, got, want)
		}
	}
}

func TestHistogramMergeAndEmpty(t *testing.T) {
	var a, b, empty Histogram
	if empty.Quantile(0.5) != 0 || empty.Latency() != nil {
		t.Fatal("empty histogram should report nothing")
	}
	a.Record(10 * time.Millisecond)
	b.Record(time.Nanosecond)
	b.Record(-5) // counts as zero
	a.Merge(&b)
	a.Merge(&empty)
	if a.Count() != 3 || a.Latency().Min != 0 || a.Latency().Max != 10*time.Millisecond {
		t.Errorf("merged: count %d, %+v", a.Count(), a.Latency())
	}
}

func TestBucketRoundTrip(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 123456789, 1 << 40, 1<<63 - 1} {
		got := bucketValue(bucket(v))
		if !near(time.Duration(got), time.Duration(v)) {
			t.Errorf("value %d lands in a bucket valued %d", v, got)
		}
	}
}

func near(got, want time.Duration) bool {
	d := float64(got - want)
	return d <= 0.01*float64(want)+1 && -d <= 0.01*float64(want)+1
}
