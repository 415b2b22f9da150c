package shm

import "sync/atomic"

// cpuHints are the two sides' CPU hint words. Each side writes its own
// (1 + its CPU, 0 for unknown) whenever it starts or ends a wait, and
// reads the peer's to decide whether spinning can pay: a peer last seen on
// this very CPU cannot run while this side spins. The peer's word is only
// a hint; a lie costs speed, nothing else.
type cpuHints struct {
	mine, peer *atomic.Uint32
}

// publish records the CPU this thread is on and reports whether the peer
// was last seen on the same one.
func (h *cpuHints) publish() (shared bool) {
	v := currentCPU() + 1
	if h.mine.Load() != v {
		h.mine.Store(v)
	}
	return h.peer.Load() == v
}
