package shm

import "time"

// Spinning limits. A wait first busy-spins for an adaptive budget (at most
// spinMax), then yields the CPU for at most yieldFor, then sleeps.
const (
	spinMax  = 50 * time.Microsecond
	yieldFor = 20 * time.Microsecond
	// slowYield: a sched_yield that took this long ran another thread on
	// our CPU — likely the peer, so the two share a CPU and busy-spinning
	// only delays it.
	slowYield = 3 * time.Microsecond
	spinCheck = 32 // spin iterations between clock readings
)

// spinner adapts one waiting side's spin budget to how long its waits
// turn out to be. It is used by one goroutine at a time.
type spinner struct {
	budget time.Duration
}

// won records a wait that ended while busy-spinning.
func (s *spinner) won() {
	s.budget = min(max(2*s.budget, time.Microsecond), spinMax)
}

// yielded records a wait that ended while yielding after elapsed; shared
// tells whether a yield ran someone else on this CPU.
func (s *spinner) yielded(elapsed time.Duration, shared bool) {
	if shared {
		s.budget = 0 // the peer needs this CPU: hand it over at once
		return
	}
	s.budget = min(max(2*elapsed, s.budget), spinMax)
}

// slept records a wait that had to sleep.
func (s *spinner) slept() { s.budget /= 2 }
