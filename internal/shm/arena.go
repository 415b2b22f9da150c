package shm

import (
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Arenas carry payloads written once into shared memory. Arena i belongs
// to ring i's direction: its producer (the lender) places a payload in it
// and sends, through the ring, only a descriptor (where it starts and how
// long it is); the consumer (the borrower) reads it in place and, once
// done, gives the offset back through a small return ring in the control
// page. Each side keeps its own books in local memory — the lender what it
// lent, the borrower what it holds — and checks everything the other side
// publishes against them.
const (
	pageSize = 4096
	// MaxArenaSize bounds an arena's size.
	MaxArenaSize = 1 << 30
	// DefaultArenaSize is an arena's size when none is configured.
	DefaultArenaSize = 8 << 20
	retOffset0       = 2048 // arena 0's return ring in the control page; arena 1's follows
	retSize          = 1024
	offRetHead       = 0 * lineSize // offsets given back so far (the borrower's)
	offRetTail       = 1 * lineSize // offsets taken back so far (the lender's)
	offRetSlots      = 2 * lineSize
	// retSlots is how many buffers may be lent at once in one direction.
	retSlots = (retSize - offRetSlots) / 8
)

// ArenaSize returns the arena size used for a requested size n: the
// default for n == 0, none for n < 0, otherwise n rounded up to whole
// pages, at most MaxArenaSize.
func ArenaSize(n int) uint64 {
	switch {
	case n == 0:
		return DefaultArenaSize
	case n < 0:
		return 0
	}
	return min(roundPages(uint64(n)), MaxArenaSize)
}

func roundPages(n uint64) uint64 { return (n + pageSize - 1) &^ (pageSize - 1) }

// retRing is an arena's return ring: offsets the borrower gives back.
type retRing struct {
	head  *atomic.Uint64
	tail  *atomic.Uint64
	slots *[retSlots]atomic.Uint64
}

func newRetRing(mem []byte, i int) retRing {
	off := uint64(retOffset0 + i*retSize)
	_ = mem[off+retSize-1]
	return retRing{
		head:  word64(mem, off+offRetHead),
		tail:  word64(mem, off+offRetTail),
		slots: (*[retSlots]atomic.Uint64)(unsafe.Pointer(&mem[off+offRetSlots])),
	}
}

// arenaData is arena i of a region mapped at mem; nil when it has none.
func arenaData(mem []byte, l layout, i int) []byte {
	if l.arenas[i] == 0 {
		return nil
	}
	off := l.arenaOffset(i)
	return mem[off : off+l.arenas[i] : off+l.arenas[i]]
}

// extent is a run of an arena's pages that the lender handed out: to its
// own user (borrowed, not yet sent) or to the peer (sent).
type extent struct {
	off, end uint64 // the pages: [off, end)
	desc     uint64 // once sent, where the payload starts: what the peer gives back
	sent     bool
}

// lender is the producing end of an arena. Its books are local; the only
// word it reads from the region is the return ring's head, checked once
// per load, and the offsets in the slots, each matched to a sent extent.
type lender struct {
	mu     sync.Mutex
	data   []byte
	ret    retRing
	tail   uint64
	out    []extent // sorted by off, disjoint
	bad    error    // sticky: the peer gave back something it was not lent
	closed bool
}

// take reserves whole pages for n bytes, first fit, and returns the
// extent's index; -1 when the arena has no room (or no slot is left to
// return one through). The caller holds mu.
func (l *lender) take(n uint64) int {
	if l.closed || l.bad != nil || n == 0 || len(l.out) >= retSlots {
		return -1
	}
	if l.reap() != nil {
		return -1
	}
	need := roundPages(n)
	var at uint64
	for i, e := range l.out {
		if e.off-at >= need {
			l.out = slices.Insert(l.out, i, extent{off: at, end: at + need})
			return i
		}
		at = e.end
	}
	if uint64(len(l.data))-at < need {
		return -1
	}
	l.out = append(l.out, extent{off: at, end: at + need})
	return len(l.out) - 1
}

// reap takes back what the borrower gave back. The caller holds mu.
func (l *lender) reap() error {
	h := l.ret.head.Load()
	if h-l.tail > retSlots {
		l.bad = corrupt("arena return ring head %d is %d past its tail", h, h-l.tail)
		return l.bad
	}
	for ; l.tail != h; l.tail++ {
		d := l.ret.slots[l.tail%retSlots].Load()
		i := slices.IndexFunc(l.out, func(e extent) bool { return e.sent && e.desc == d })
		if i < 0 {
			l.bad = corrupt("arena offset %d given back was not lent", d)
			return l.bad
		}
		l.out = slices.Delete(l.out, i, i+1)
	}
	l.ret.tail.Store(l.tail)
	return nil
}

// offset returns where p starts in the arena and the index of the extent
// that holds all of it; -1 when p is not in one.
func (l *lender) offset(p []byte) (uint64, int) {
	off, ok := l.offsetIn(p)
	if !ok {
		return 0, -1
	}
	i, found := slices.BinarySearchFunc(l.out, off, func(e extent, off uint64) int {
		switch {
		case e.end <= off:
			return -1
		case e.off > off:
			return 1
		}
		return 0
	})
	if !found || off+uint64(len(p)) > l.out[i].end {
		return 0, -1
	}
	return off, i
}

// offsetIn returns where p starts in the arena, if it starts in it.
func (l *lender) offsetIn(p []byte) (uint64, bool) {
	if len(p) == 0 || len(l.data) == 0 {
		return 0, false
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(l.data)))
	q := uintptr(unsafe.Pointer(unsafe.SliceData(p)))
	if q < base || q-base >= uintptr(len(l.data)) {
		return 0, false
	}
	return uint64(q - base), true
}

// borrow returns a buffer of n bytes in the arena for this side's user to
// fill and send; nil when there is no room.
func (l *lender) borrow(n int) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n <= 0 {
		return nil
	}
	i := l.take(uint64(n))
	if i < 0 {
		return nil
	}
	off := l.out[i].off
	return l.data[off : off+uint64(n) : off+uint64(n)]
}

// unborrow gives back a buffer from borrow that was not sent.
func (l *lender) unborrow(p []byte) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, i := l.offset(p); i >= 0 && !l.out[i].sent {
		l.out = slices.Delete(l.out, i, i+1)
		return true
	}
	return false
}

// share makes p travel by descriptor and returns where it starts. A p
// borrowed from this arena and not yet sent goes as it is; another p of at
// least copyMin bytes (copyMin > 0) is copied in first, if there is room.
// ok is false when p must travel through the ring instead.
func (l *lender) share(p []byte, copyMin int) (off uint64, ok bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.bad != nil {
		return 0, false, l.bad
	}
	if off, i := l.offset(p); i >= 0 {
		if l.out[i].sent {
			return 0, false, nil // sent twice: the second goes by copy
		}
		l.out[i].sent, l.out[i].desc = true, off
		return off, true, nil
	}
	if copyMin <= 0 || len(p) < copyMin {
		return 0, false, nil
	}
	i := l.take(uint64(len(p)))
	if i < 0 {
		return 0, false, l.bad
	}
	e := &l.out[i]
	copy(l.data[e.off:e.end], p)
	e.sent, e.desc = true, e.off
	return e.off, true, nil
}

// outstanding reports whether any buffer is still borrowed by this side's
// user; Close keeps the arena's addresses valid if so. It also stops
// lending.
func (l *lender) close() (outstanding bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	return slices.ContainsFunc(l.out, func(e extent) bool { return !e.sent })
}

// span is a payload the borrower holds: bytes [off, end) of the arena.
type span struct{ off, end uint64 }

// borrower is the consuming end of an arena. It accepts a descriptor only
// inside the arena and clear of every payload it still holds, so a lender
// that reuses a buffer before it came back is caught at the descriptor.
type borrower struct {
	mu     sync.Mutex
	data   []byte
	ret    retRing
	head   uint64
	held   []span
	closed bool
}

// resolve returns the payload a descriptor names, held until giveBack.
func (b *borrower) resolve(off, n uint64) ([]byte, error) {
	size := uint64(len(b.data))
	if n == 0 || off >= size || n > size-off {
		return nil, corrupt("descriptor [%d, +%d) is outside the %d-byte arena", off, n, size)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errClosed
	}
	if len(b.held) >= retSlots {
		return nil, corrupt("more than %d payloads lent at once", retSlots)
	}
	s := span{off, off + n}
	for _, h := range b.held {
		if s.off < h.end && h.off < s.end {
			return nil, corrupt("descriptor [%d, +%d) overlaps a payload not yet given back", off, n)
		}
	}
	b.held = append(b.held, s)
	return b.data[s.off:s.end:s.end], nil
}

// giveBack returns a payload from resolve to the lender.
func (b *borrower) giveBack(off uint64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := slices.IndexFunc(b.held, func(s span) bool { return s.off == off })
	if i < 0 || b.closed {
		return nil // not held (given back twice), or the region is gone
	}
	b.held = slices.Delete(b.held, i, i+1)
	if t := b.ret.tail.Load(); b.head-t >= retSlots {
		return corrupt("arena return ring full: tail %d, head %d", t, b.head)
	}
	b.ret.slots[b.head%retSlots].Store(off)
	b.head++
	b.ret.head.Store(b.head)
	return nil
}

// close stops resolving and reports whether a payload is still held.
func (b *borrower) close() (outstanding bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return len(b.held) > 0
}
