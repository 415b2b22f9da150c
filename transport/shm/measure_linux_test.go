package shm_test

import (
	"slices"
	"testing"
	"time"
)

// batch is how many operations one timing covers in measure.
const batch = 64

// measure runs op b.N times, timing batches of it, and reports the median
// batch's time per op as "p50-ns/op" beside the mean (ns/op): on a busy
// machine stalls caused by other processes inflate the mean, hardly the
// median. It suits round trips; a stream's throughput is its mean (see
// stream).
func measure(b *testing.B, op func()) {
	var per []float64
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(batch, b.N-done)
		t := time.Now()
		for range n {
			op()
		}
		per = append(per, float64(time.Since(t))/float64(n))
		done += n
	}
	b.StopTimer()
	report(b, per)
}

// stream times b.N writes of size bytes and then done, which returns once
// the receiver has taken them all: go test's MB/s is then the throughput
// end to end. (A median per write would time the sender's side only.)
func stream(b *testing.B, size int, write, done func()) {
	b.SetBytes(int64(size))
	b.ResetTimer()
	for range b.N {
		write()
	}
	done()
	b.StopTimer()
}

// report adds the median of per (ns per op) to b's results.
func report(b *testing.B, per []float64) {
	if len(per) == 0 {
		return
	}
	slices.Sort(per)
	b.ReportMetric(per[len(per)/2], "p50-ns/op")
}
