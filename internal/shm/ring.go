package shm

import (
	"sync/atomic"
	"unsafe"
)

// ring is one direction's view of the region: its data and its control
// words. The words live in shared memory, so every load from them is
// untrusted.
type ring struct {
	data     []byte // len is a power of two
	mask     uint64
	head     *atomic.Uint64
	tail     *atomic.Uint64
	dataWait *atomic.Uint32
	roomWait *atomic.Uint32
}

// newRing returns ring i of a region with layout l mapped at mem.
func newRing(mem []byte, l layout, i int) ring {
	c := ctrlOffset(i)
	off := l.dataOffset(i)
	size := l.sizes[i]
	return ring{
		data:     mem[off : off+size : off+size],
		mask:     size - 1,
		head:     word64(mem, c+offHead),
		tail:     word64(mem, c+offTail),
		dataWait: word32(mem, c+offDataWait),
		roomWait: word32(mem, c+offRoomWait),
	}
}

// size is the ring's capacity in bytes.
func (r *ring) size() uint64 { return uint64(len(r.data)) }

// word64 points at the 8-byte-aligned word at off in mem.
func word64(mem []byte, off uint64) *atomic.Uint64 {
	_ = mem[off+7]
	return (*atomic.Uint64)(unsafe.Pointer(&mem[off]))
}

// word32 points at the 4-byte-aligned word at off in mem.
func word32(mem []byte, off uint64) *atomic.Uint32 {
	_ = mem[off+3]
	return (*atomic.Uint32)(unsafe.Pointer(&mem[off]))
}

// reader is the consuming end of a ring. One goroutine uses it at a time.
type reader struct {
	ring
	pos uint64 // bytes consumed; authoritative, never read back from the region
}

// available loads the producer's head once and returns how many bytes are
// readable, or ErrRingCorrupt when the head is out of range.
func (r *reader) available() (uint64, error) {
	h := r.head.Load()
	n := h - r.pos // wraps to a huge value if the head went backwards
	if n > r.size() {
		return 0, corrupt("head %d is %d bytes from tail %d in a %d-byte ring", h, int64(n), r.pos, r.size())
	}
	return n, nil
}

// read copies min(len(p), avail) bytes out of the ring, publishes the new
// tail, and returns how the producer waits for room, which it clears
// (awake: nobody to wake). avail must come from available.
func (r *reader) read(p []byte, avail uint64) (int, uint32) {
	n := min(uint64(len(p)), avail)
	r.copyOut(p[:n])
	r.pos += n
	r.tail.Store(r.pos)
	return int(n), takeWaiter(r.roomWait)
}

// Wait word values: how the side that waits on the word sleeps.
const (
	awake   = 0 // not sleeping: spinning, or not waiting at all
	futexed = 1 // in a futex wait on the word: wake it with FUTEX_WAKE
	parked  = 2 // parked on the socket: wake it with a doorbell byte
)

// takeWaiter clears a wait word the peer sleeps on and returns how it
// sleeps. The load first keeps the common case — nobody asleep — free of
// a locked instruction.
func takeWaiter(w *atomic.Uint32) uint32 {
	if w.Load() == awake {
		return awake
	}
	return w.Swap(awake)
}

// copyOut copies len(p) ≤ size bytes from the ring at the tail.
func (r *reader) copyOut(p []byte) {
	off := r.pos & r.mask
	n := copy(p, r.data[off:])
	copy(p[n:], r.data)
}

// writer is the producing end of a ring. One goroutine uses it at a time.
type writer struct {
	ring
	pos  uint64 // bytes produced; authoritative, never read back from the region
	seen uint64 // the consumer's tail as last loaded and checked
}

// room returns how many bytes may be written: from the tail last seen
// when that leaves at least want bytes (the tail's cache line then stays
// with the consumer), otherwise from the tail loaded afresh — once, and
// checked: ErrRingCorrupt when it is out of range.
func (w *writer) room(want uint64) (uint64, error) {
	if free := w.size() - (w.pos - w.seen); free >= want {
		return free, nil
	}
	t := w.tail.Load()
	used := w.pos - t // wraps to a huge value if the tail passed the head
	if used > w.size() {
		return 0, corrupt("tail %d is %d bytes behind head %d in a %d-byte ring", t, int64(used), w.pos, w.size())
	}
	w.seen = t
	return w.size() - used, nil
}

// write copies len(p) bytes, which must fit in the room, into the ring
// without publishing them.
func (w *writer) write(p []byte, at uint64) {
	off := at & w.mask
	n := copy(w.data[off:], p)
	copy(w.data, p[n:])
}

// publish makes the bytes up to pos visible to the consumer and returns
// how the consumer waits for data, which it clears.
func (w *writer) publish(pos uint64) uint32 {
	w.pos = pos
	w.head.Store(pos)
	return takeWaiter(w.dataWait)
}
