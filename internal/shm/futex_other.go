//go:build !linux

package shm

import (
	"sync/atomic"
	"time"
)

// Without futexes (only the portable ring code and its tests build here)
// a sleeper polls.

func futexWait(w *atomic.Uint32, val uint32, d time.Duration) {
	if d < 0 || d > time.Millisecond {
		d = time.Millisecond
	}
	time.Sleep(d)
}

func futexWake(*atomic.Uint32) {}

// getcpu is unknown here: every caller is on "CPU 0".
func getcpu() uint32 { return 0 }
