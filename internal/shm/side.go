package shm

import (
	"os"
	"sync/atomic"
	"time"
)

// epoch anchors the monotonic clock readings kept in atomics.
var epoch = time.Now()

// now is monotonic nanoseconds since epoch.
func now() int64 { return int64(time.Since(epoch)) }

// side is one direction's waiting state at this end: the futex word this
// end sleeps on, its deadline and its spin policy.
type side struct {
	word     *atomic.Uint32 // in shared memory; cleared (and woken) by whoever wants us up
	bell     chan struct{}  // a parked sleeper waits on it; see doorbell.go
	deadline atomic.Int64   // monotonic ns since epoch; 0 for none
	spin     spinner        // used only by the goroutine that waits
	bad      atomic.Value   // error: this direction's ring broke an invariant
}

// fail makes a ring error sticky and returns it; nil passes through.
func (s *side) fail(err error) error {
	if err != nil {
		s.bad.CompareAndSwap(nil, err)
	}
	return err
}

// broken returns the sticky ring error, if any.
func (s *side) broken() error {
	if err, ok := s.bad.Load().(error); ok {
		return err
	}
	return nil
}

// setDeadline records t (zero: none).
func (s *side) setDeadline(t time.Time) {
	var v int64
	if !t.IsZero() {
		v = int64(t.Sub(epoch))
		if v == 0 {
			v = -1 // 0 means none; epoch itself has passed
		}
	}
	s.deadline.Store(v)
}

// expired returns os.ErrDeadlineExceeded once the deadline has passed.
func (s *side) expired() error {
	if dl := s.deadline.Load(); dl != 0 && now() >= dl {
		return os.ErrDeadlineExceeded
	}
	return nil
}

// timeout is how long a sleep may last: until the deadline, at most max.
func (s *side) timeout(max time.Duration) time.Duration {
	if dl := s.deadline.Load(); dl != 0 {
		return min(max, time.Duration(dl-now()))
	}
	return max
}

// kick wakes this end if it sleeps, so that it re-checks its deadline and
// the connection's state.
func (s *side) kick() {
	switch s.word.Swap(awake) {
	case awake:
	case parked:
		s.ringBell()
	default:
		futexWake(s.word)
	}
}

// ringBell wakes this end's parked sleeper, if any.
func (s *side) ringBell() {
	select {
	case s.bell <- struct{}{}:
	default:
	}
}
