package shm

import (
	"runtime"
	"sync/atomic"
	"time"
)

// A sleeper that stays asleep beyond parkAfter — or finds futexSlots
// exhausted — parks its goroutine instead of holding a thread in a futex
// wait: it sets its wait word to parked and waits on its side's bell. The
// peer, finding the word parked, writes a doorbell byte to the socket; this
// end's watcher reads it and rings the bells. Idle connections thus hold no
// threads, however many there are, and no more than futexSlots threads are
// ever tied up in futex waits.

// futexSlots bounds the waits in futex sleeps at once, process-wide.
var futexSlots = slots{limit: int64(max(16, 4*runtime.GOMAXPROCS(0)))}

// slots is a counter that refuses to go past its limit.
type slots struct {
	n     atomic.Int64
	limit int64
}

// take reports whether a slot was free, taking it.
func (s *slots) take() bool {
	if s.n.Add(1) > s.limit {
		s.n.Add(-1)
		return false
	}
	return true
}

func (s *slots) give() { s.n.Add(-1) }

// doorbell is the only byte that may travel on the socket after the
// upgrade.
const doorbell = 1

// doorbells reports whether b holds nothing but doorbell bytes.
func doorbells(b []byte) bool {
	for _, x := range b {
		if x != doorbell {
			return false
		}
	}
	return true
}

// park waits until the side's bell rings or d passes.
func (s *side) park(d time.Duration) {
	t := time.NewTimer(d)
	select {
	case <-s.bell:
	case <-t.C:
	}
	t.Stop()
}
