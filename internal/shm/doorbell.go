package shm

import (
	"runtime"
	"sync/atomic"
	"time"
)

// A sleeper that stays asleep beyond parkAfter — or finds futexSlots
// taken — parks its goroutine instead of holding a thread in a futex wait:
// it sets its wait word to parked and waits on its side's bell. The peer,
// finding the word parked, writes a doorbell byte to the socket; this end's
// watcher reads it and rings the bells. Idle connections thus hold no
// threads, however many there are.
//
// A goroutine in a futex wait also keeps its P (in syscall state) from
// other goroutines until sysmon retakes it, 20 µs to 10 ms later; so at
// least one P is always left to the rest of the process: the futex path,
// the fastest wake-up, is for the few waits that matter most — a client
// waiting for its answer, an endpoint's reader between requests.

// futexSlots bounds the waits in futex sleeps at once, process-wide.
var futexSlots = slots{limit: int64(max(1, runtime.GOMAXPROCS(0)-1))}

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
