package shm

import (
	"sync/atomic"
	"time"
)

// Spinning. A wait busy-spins for an adaptive budget before it sleeps: a
// wait short enough to be worth spinning for raises the budget to four
// times its length (at most the process's maxSpin), and a long one halves it, down to
// zero for a peer that is slow or idle. A wait does not
// spin at all while the peer was last seen on this CPU (see cpuHints):
// there pure spinning costs milliseconds per round trip, as the peer runs
// only when the scheduler preempts the spinner. (Yielding the CPU is no
// remedy: under EEVDF sched_yield often returns straight to the yielder; a
// futex sleep hands the CPU over at once.)
const (
	DefaultMaxSpin = 50 * time.Microsecond
	spinFloor      = 2 * time.Microsecond
	spinCheck      = 16                   // spin iterations between clock readings
	spinShare      = 5 * time.Microsecond // spinning between chances for other goroutines
	busyYield      = 2 * time.Microsecond // a Gosched this long ran others: the CPU is wanted
)

// maxSpin bounds every wait's spinning, in nanoseconds; see SetMaxSpin.
var maxSpin atomic.Int64

func init() { maxSpin.Store(int64(DefaultMaxSpin)) }

// SetMaxSpin bounds how long any wait in this process busy-spins before it
// sleeps (DefaultMaxSpin unless changed; 0: never spin, always sleep) and
// returns the previous bound. It is a process-wide tuning knob for
// benchmarks and CPU-starved hosts.
func SetMaxSpin(d time.Duration) time.Duration {
	return time.Duration(maxSpin.Swap(int64(max(d, 0))))
}

// spinner adapts one waiting side's spin budget. It is used by one
// goroutine at a time.
type spinner struct {
	budget time.Duration
}

// observe records how long a wait lasted.
func (s *spinner) observe(w time.Duration) {
	if limit := time.Duration(maxSpin.Load()); w <= limit {
		s.budget = min(max(4*w, s.budget, spinFloor), limit)
		return
	}
	if s.budget /= 2; s.budget < spinFloor {
		s.budget = 0
	}
}
