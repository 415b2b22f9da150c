package reliability

import (
	"fmt"
	"os"
	"runtime"
	"time"
)

// usage is a snapshot of what a process holds.
type usage struct {
	goroutines int
	fds        int    // -1 where the OS does not tell
	heap       uint64 // live heap bytes after a collection
}

// measure collects garbage and takes a snapshot.
func measure() usage {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return usage{goroutines: runtime.NumGoroutine(), fds: openFDs(), heap: ms.HeapAlloc}
}

func (u usage) String() string {
	return fmt.Sprintf("%d goroutines, %d fds, %s heap", u.goroutines, u.fds, kib(u.heap))
}

// settle waits, up to timeout, until goroutines and descriptors are back to
// at most base's, and returns the last snapshot with whether they got there.
func settle(base usage, timeout time.Duration) (usage, bool) {
	deadline := time.Now().Add(timeout)
	for {
		u := usage{goroutines: runtime.NumGoroutine(), fds: openFDs()}
		if u.goroutines <= base.goroutines && u.fds <= base.fds {
			return measure(), true
		}
		if time.Now().After(deadline) {
			return measure(), false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// openFDs counts this process's open descriptors, or -1 where unknown.
func openFDs() int {
	if runtime.GOOS != "linux" {
		return -1
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents) - 1 // ReadDir's own descriptor
}

func kib(n uint64) string { return fmt.Sprintf("%.0f KiB", float64(n)/1024) }

// goroutines is every goroutine's stack, for a failure that found more
// than the baseline.
func goroutines() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}
