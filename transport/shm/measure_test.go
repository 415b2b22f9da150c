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
// median. With bytes > 0 it reports the median throughput as "p50-MB/s".
func measure(b *testing.B, bytes int, op func()) {
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
	report(b, per, bytes)
}

// report adds the median of per (ns per op) to b's results.
func report(b *testing.B, per []float64, bytes int) {
	if len(per) == 0 {
		return
	}
	slices.Sort(per)
	p50 := per[len(per)/2]
	b.ReportMetric(p50, "p50-ns/op")
	if bytes > 0 {
		b.ReportMetric(float64(bytes)/p50*1e3, "p50-MB/s")
	}
}
