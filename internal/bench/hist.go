package bench

import (
	"math"
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: 2^subBits buckets per power of
// two, so a recorded value is off by less than 1/2^subBits (0.8%).
const subBits = 7

const subCount = 1 << subBits

// Histogram records durations in log-linear buckets, like HdrHistogram: a
// bounded size whatever the count, and percentiles within 0.8%. The zero
// value is ready to use; it is not safe for concurrent use (give each caller
// its own and Merge them).
type Histogram struct {
	counts   [64 * subCount]uint64
	n        uint64
	sum      float64
	min, max time.Duration
}

// bucket maps a non-negative value to its bucket index.
func bucket(v uint64) int {
	if v < subCount {
		return int(v)
	}
	exp := bits.Len64(v) - subBits // >= 1
	return exp*subCount + int(v>>uint(exp-1)) - subCount
}

// bucketValue is the midpoint of bucket i's range.
func bucketValue(i int) uint64 {
	if i < subCount {
		return uint64(i)
	}
	exp := i / subCount
	sub := uint64(i%subCount + subCount)
	lo := sub << uint(exp-1)
	return lo + (uint64(1)<<uint(exp-1))/2
}

// Record adds one value; negative values count as zero.
func (h *Histogram) Record(d time.Duration) {
	d = max(d, 0)
	h.counts[bucket(uint64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	h.max = max(h.max, d)
	h.n++
	h.sum += float64(d)
}

// Merge adds o's values to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// Count is the number of values recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Quantile returns the value below which a fraction q (0..1) of the values
// fall: the nearest-rank percentile, within the bucket precision, clamped to
// the exact minimum and maximum.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			v := time.Duration(bucketValue(i))
			return min(max(v, h.min), h.max)
		}
	}
	return h.max
}

// Latency summarizes h.
func (h *Histogram) Latency() *Latency {
	if h.n == 0 {
		return nil
	}
	return &Latency{
		P50: h.Quantile(0.50), P90: h.Quantile(0.90), P99: h.Quantile(0.99), P999: h.Quantile(0.999),
		Min: h.min, Max: h.max, Mean: time.Duration(h.sum / float64(h.n)),
	}
}
