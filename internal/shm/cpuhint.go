package shm

import (
	"sync/atomic"
	"time"
)

// cpuHints are the two sides' CPU hint words. Each side writes its own
// (1 + its CPU, 0 for unknown) whenever it starts or ends a wait, and
// reads the peer's to decide whether spinning can pay: a peer last seen on
// this very CPU cannot run while this side spins. The peer's word is only
// a hint; a lie costs speed, nothing else.
type cpuHints struct {
	mine, peer *atomic.Uint32
	stepped    atomic.Int64 // when this side last stepped aside (see stepAside); read and write waits share it
}

// stepEvery bounds how often one side moves itself off a shared CPU.
const stepEvery = 10 * time.Millisecond

// publish records the CPU this thread is on and reports whether the peer
// was last seen on the same one — after trying to step aside from it, at
// most once per stepEvery, when the side may spin at all.
func (h *cpuHints) publish() (shared bool) {
	v := h.record()
	if h.peer.Load() != v {
		return false
	}
	if t, last := now(), h.stepped.Load(); maxSpin.Load() > 0 && t-last >= int64(stepEvery) && h.stepped.CompareAndSwap(last, t) {
		if stepAside(v - 1) {
			return h.peer.Load() == h.record()
		}
	}
	return true
}

// record publishes the CPU this thread runs on and returns the hint.
func (h *cpuHints) record() uint32 {
	v := currentCPU() + 1
	if h.mine.Load() != v {
		h.mine.Store(v)
	}
	return v
}
