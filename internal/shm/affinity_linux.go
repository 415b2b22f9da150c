package shm

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// stepAside moves the calling thread off cpu, the CPU it shares with the
// peer, if its affinity allows another, and reports whether it did. The
// thread's affinity mask is restored at once: only the migration remains.
//
// Two processes that wake each other through futexes are often put on one
// CPU by the kernel (a wakee goes where its waker runs), and then neither
// may spin: the other cannot run meanwhile. Left alone the pair stays
// there, trading futex wake-ups at several µs per round trip while other
// CPUs idle; once apart, both spin and stay apart.
func stepAside(cpu uint32) bool {
	runtime.LockOSThread() // the masks below are this thread's
	defer runtime.UnlockOSThread()
	var mask unix.CPUSet
	if unix.SchedGetaffinity(0, &mask) != nil || mask.Count() < 2 || !mask.IsSet(int(cpu)) {
		return false
	}
	away := mask
	away.Clear(int(cpu))
	if unix.SchedSetaffinity(0, &away) != nil {
		return false
	}
	unix.SchedSetaffinity(0, &mask)
	return true
}
