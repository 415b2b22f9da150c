package stats

import (
	"math"
	"sync/atomic"
	"time"
)

// Bounds are the histogram's bucket upper bounds: 1-2-5 steps from 1µs to
// 10s. A last bucket, without bound, takes everything slower.
var Bounds = []time.Duration{
	1 * time.Microsecond, 2 * time.Microsecond, 5 * time.Microsecond,
	10 * time.Microsecond, 20 * time.Microsecond, 50 * time.Microsecond,
	100 * time.Microsecond, 200 * time.Microsecond, 500 * time.Microsecond,
	1 * time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	1 * time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second,
}

const numBuckets = 23 // len(Bounds) + 1

// histogram records durations with atomic adds. The zero value is ready.
type histogram struct {
	buckets [numBuckets]atomic.Uint64
	sum     atomic.Int64 // nanoseconds
}

// observe counts d.
func (h *histogram) observe(d time.Duration) {
	h.buckets[bucket(d)].Add(1)
	h.sum.Add(int64(d))
}

// bucket is the index of d's bucket. Most handlers are fast, so the search
// starts at the bottom.
func bucket(d time.Duration) int {
	i := 0
	for i < len(Bounds) && d > Bounds[i] {
		i++
	}
	return i
}

// addTo adds h's counts to s.
func (h *histogram) addTo(s *Histogram) {
	if s.Counts == nil {
		s.Counts = make([]uint64, numBuckets)
	}
	for i := range h.buckets {
		s.Counts[i] += h.buckets[i].Load()
	}
	s.Sum += time.Duration(h.sum.Load())
}

// fold moves h's counts into dst (h is no longer written).
func (h *histogram) fold(dst *histogram) {
	for i := range h.buckets {
		dst.buckets[i].Add(h.buckets[i].Load())
	}
	dst.sum.Add(h.sum.Load())
}

// Histogram is a snapshot of handling times: Counts[i] messages took at
// most Bounds[i] (and more than Bounds[i-1]); the last count is for those
// slower than every bound.
type Histogram struct {
	Counts []uint64      `json:"counts"` // len(Bounds)+1, not cumulative
	Sum    time.Duration `json:"sum"`    // total handling time
}

// Count is the number of durations recorded.
func (h Histogram) Count() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// Mean is the average duration, or 0 when nothing was recorded.
func (h Histogram) Mean() time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	return h.Sum / time.Duration(n)
}

// Quantile estimates the q-quantile (0 < q ≤ 1), interpolating inside the
// bucket it falls in. It returns 0 when nothing was recorded; durations in
// the last, unbounded bucket are reported as the largest bound.
func (h Histogram) Quantile(q float64) time.Duration {
	n := h.Count()
	if n == 0 || len(h.Counts) != numBuckets {
		return 0
	}
	rank := math.Max(1, math.Ceil(q*float64(n)))
	var seen float64
	for i, c := range h.Counts {
		if c == 0 || seen+float64(c) < rank {
			seen += float64(c)
			continue
		}
		if i == len(Bounds) {
			return Bounds[len(Bounds)-1]
		}
		lo := time.Duration(0)
		if i > 0 {
			lo = Bounds[i-1]
		}
		frac := (rank - seen) / float64(c)
		return lo + time.Duration(frac*float64(Bounds[i]-lo))
	}
	return Bounds[len(Bounds)-1]
}

// Sub returns h minus an earlier snapshot of the same histogram: what was
// recorded in between.
func (h Histogram) Sub(old Histogram) Histogram {
	out := Histogram{Counts: make([]uint64, len(h.Counts)), Sum: h.Sum - old.Sum}
	for i := range h.Counts {
		out.Counts[i] = h.Counts[i]
		if i < len(old.Counts) && old.Counts[i] <= h.Counts[i] {
			out.Counts[i] -= old.Counts[i]
		}
	}
	return out
}
