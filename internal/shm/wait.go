package shm

import (
	"runtime"
	"time"
)

// Sleep bounds. A sleeper re-checks its state at least every maxSleep, so
// a peer that meddles with the wait word delays a deadline or Close by at
// most that; a sleeper whose futex keeps returning at once (a peer flipping
// the word) backs off to polling instead of burning a CPU.
const (
	parkAfter  = 5 * time.Millisecond
	maxSleep   = time.Second
	quickWake  = 20 * time.Microsecond
	quickLimit = 100
	backoff    = time.Millisecond
)

// singleP: the process runs goroutines on one P (GOMAXPROCS=1, as in a
// container limited to one CPU). A futex wait would hold that only P, and
// with it every other goroutine of the process, until sysmon retakes it;
// so such a process lets its other goroutines run first, and parks instead
// if any did.
var singleP = runtime.GOMAXPROCS(0) == 1

// othersRan yields the P and reports whether other goroutines ran
// meanwhile. (With more Ps this Gosched would cost more than it saves: it
// sends idle Ps looking for work.)
func othersRan() bool {
	t := now()
	runtime.Gosched()
	return now()-t >= int64(busyYield)
}

// cond reports whether a wait is over, or an error that ends it (a corrupt
// ring).
type cond func() (bool, error)

// wait blocks until ready holds, returning nil, or until it fails, the
// side's deadline passes, the connection closes, or the peer is gone
// (returning gone). It busy-spins for the side's adaptive budget — not at
// all while the peer shares this CPU, and giving other goroutines of the
// process a turn every spinShare — then sleeps (see sleep).
func (c *Conn) wait(s *side, ready cond, gone error) error {
	start := now()
	budget := min(int64(s.spin.budget), maxSpin.Load())
	shared := c.cpu.publish()
	if shared {
		budget = 0
	}
	for i, yielded := 0, start; ; i++ {
		if ok, err := ready(); ok || err != nil {
			s.spin.observe(time.Duration(now() - start))
			return err
		}
		if i%spinCheck == 0 {
			if err := c.state(s, ready, gone); err != nil {
				return err
			}
			t := now()
			if t-start >= budget {
				break
			}
			if t-yielded >= int64(spinShare) {
				// Other goroutines of this process may need the CPU. If
				// they did, spinning only takes it from them: sleep.
				runtime.Gosched()
				if yielded = now(); yielded-t >= int64(busyYield) {
					s.spin.observe(time.Duration(yielded - t + budget))
					break
				}
			}
		}
		cpuRelax()
	}
	err := c.sleep(s, ready, gone, singleP && othersRan())
	if err == nil && !shared {
		s.spin.observe(time.Duration(now() - start))
	}
	return err
}

// sleep waits for the other end to clear the side's wait word and wake it
// (as it does after publishing; so do Close, deadlines and the liveness
// watcher): first in a futex wait, which wakes fastest but holds a thread,
// then, after parkAfter — or at once when told to (park) or when enough
// of the process's Ps are held so already — in a park on the side's
// doorbell, which holds none.
func (c *Conn) sleep(s *side, ready cond, gone error, park bool) error {
	quick := 0
	futex := !park && futexSlots.take()
	defer func() {
		if futex {
			futexSlots.give()
		}
	}()
	for start := now(); ; {
		how := uint32(futexed)
		if futex && now()-start >= int64(parkAfter) {
			futexSlots.give()
			futex = false
		}
		if !futex {
			how = parked
		}
		s.word.Store(how)
		ok, err := ready()
		if err == nil && !ok {
			err = c.state(s, ready, gone)
		}
		if ok || err != nil {
			s.word.Store(awake)
			return err
		}
		d := s.timeout(maxSleep)
		if d <= 0 {
			continue // state reports the deadline
		}
		if how == parked {
			s.park(d)
			continue
		}
		t := now()
		futexWait(s.word, futexed, min(d, parkAfter))
		c.cpu.record() // the futex may have woken this thread elsewhere
		if now()-t >= int64(quickWake) {
			quick = 0
		} else if quick++; quick > quickLimit {
			time.Sleep(backoff)
		}
	}
}

// state returns why a wait must end without its condition: the connection
// closed or broke, the deadline passed, or the peer is gone with nothing
// left to wait for.
func (c *Conn) state(s *side, ready cond, gone error) error {
	if c.closed.Load() {
		return errClosed
	}
	if err := s.broken(); err != nil {
		return err
	}
	if err := s.expired(); err != nil {
		return err
	}
	if c.gone.Load() {
		if ok, err := ready(); !ok || err != nil {
			return firstErr(err, gone)
		}
	}
	return nil
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
