package shm

import (
	"cmp"
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
	retOffset0       = pageSize // arena 0's return ring, after the control page; arena 1's follows
	retSize          = 2 * pageSize
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
	next   uint64   // where the last extent taken ends: the next fit starts there
	bad    error    // sticky: the peer gave back something it was not lent
	closed bool
}

// take reserves whole pages for n bytes and returns the extent's index; -1
// when the arena has no room (or no slot is left to return one through).
// It fits next after the extent taken last, wrapping around once, so that
// buffers given back in the order they were lent are found at once. The
// caller holds mu.
func (l *lender) take(n uint64) int {
	if l.closed || l.bad != nil || l.reap() != nil || len(l.out) >= retSlots {
		return -1
	}
	need := roundPages(n)
	size := uint64(len(l.data))
	start, _ := slices.BinarySearchFunc(l.out, l.next, func(e extent, at uint64) int { return cmp.Compare(e.off, at) })
	for k := 0; k <= len(l.out); k++ {
		i := (start + k) % (len(l.out) + 1) // the gap before extent i; i == len(l.out): the one after the last
		from, to := uint64(0), size
		if i > 0 {
			from = l.out[i-1].end
		}
		if i < len(l.out) {
			to = l.out[i].off
		}
		if to-from >= need {
			l.out = slices.Insert(l.out, i, extent{off: from, end: from + need})
			l.next = from + need
			return i
		}
	}
	return -1
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
		i := l.find(d)
		if i < 0 || !l.out[i].sent || l.out[i].desc != d {
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
	i := l.find(off)
	if i < 0 || off+uint64(len(p)) > l.out[i].end {
		return 0, -1
	}
	return off, i
}

// find returns the index of the extent holding byte off, or -1.
func (l *lender) find(off uint64) int {
	i, found := slices.BinarySearchFunc(l.out, off, func(e extent, off uint64) int {
		switch {
		case e.end <= off:
			return -1
		case e.off > off:
			return 1
		}
		return 0
	})
	if !found {
		return -1
	}
	return i
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

// unborrow gives back a buffer from borrow that was not sent. After close
// it returns the pages to let go of (see Conn.unmap), else an empty span.
func (l *lender) unborrow(p []byte) (bool, span) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, i := l.offset(p); i >= 0 && !l.out[i].sent {
		e := l.out[i]
		l.out = slices.Delete(l.out, i, i+1)
		if l.closed {
			return true, span{e.off, e.end}
		}
		return true, span{}
	}
	return false, span{}
}

// share makes p, a buffer from borrow not yet sent, travel by descriptor,
// and returns where it starts; from then on its pages are the peer's until
// it gives them back. ok is false for any other p, which must go through
// the ring: a payload not built in the arena is not copied into it, as the
// ring's copies in and out overlap and a copy into the arena would have
// to end before the peer's could begin.
func (l *lender) share(p []byte) (off uint64, ok bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.bad != nil:
		return 0, false, l.bad
	case l.closed:
		return 0, false, errClosed
	}
	off, i := l.offset(p)
	if i < 0 || l.out[i].sent {
		return 0, false, nil // not borrowed, or sent twice: the second goes by copy
	}
	l.out[i].sent, l.out[i].desc = true, off
	return off, true, nil
}

// close stops lending and returns the pages this side's user still has
// borrowed: Close keeps them valid, detached from the peer, until given
// back.
func (l *lender) close() []span {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	var keep []span
	for _, e := range l.out {
		if !e.sent {
			keep = append(keep, span{e.off, e.end})
		}
	}
	l.out = slices.DeleteFunc(l.out, func(e extent) bool { return e.sent })
	return keep
}

// span is a run of an arena's bytes, [off, end).
type span struct{ off, end uint64 }

// pages rounds s out to whole pages.
func (s span) pages() span { return span{s.off &^ (pageSize - 1), roundPages(s.end)} }

// held is a payload the borrower holds: where its descriptor said it starts,
// and the pages it touches.
type held struct {
	off   uint64
	pages span
}

// borrower is the consuming end of an arena. It accepts a descriptor only
// inside the arena and clear of every page of a payload it still holds, so
// a lender that reuses a buffer before it came back is caught at the
// descriptor.
type borrower struct {
	mu     sync.Mutex
	data   []byte
	ret    retRing
	head   uint64
	held   []held
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
	pg := span{off, off + n}.pages()
	i, _ := slices.BinarySearchFunc(b.held, pg.off, func(h held, at uint64) int { return cmp.Compare(h.pages.off, at) })
	if i > 0 && b.held[i-1].pages.end > pg.off || i < len(b.held) && b.held[i].pages.off < pg.end {
		return nil, corrupt("descriptor [%d, +%d) shares a page with a payload not yet given back", off, n)
	}
	b.held = slices.Insert(b.held, i, held{off, pg})
	return b.data[off : off+n : off+n], nil
}

// giveBack returns a payload from resolve to the lender. After close it
// returns the pages to let go of instead (see Conn.unmap).
func (b *borrower) giveBack(off uint64) (span, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	i, found := slices.BinarySearchFunc(b.held, off&^(pageSize-1), func(h held, at uint64) int { return cmp.Compare(h.pages.off, at) })
	if !found || b.held[i].off != off {
		return span{}, nil // not held: given back twice
	}
	pg := b.held[i].pages
	b.held = slices.Delete(b.held, i, i+1)
	if b.closed {
		return pg, nil
	}
	if t := b.ret.tail.Load(); b.head-t >= retSlots {
		return span{}, corrupt("arena return ring full: tail %d, head %d", t, b.head)
	}
	b.ret.slots[b.head%retSlots].Store(off)
	b.head++
	b.ret.head.Store(b.head)
	return span{}, nil
}

// close stops resolving and returns the pages of the payloads still held:
// Close keeps them valid, detached from the peer, until given back.
func (b *borrower) close() []span {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	keep := make([]span, 0, len(b.held))
	for _, h := range b.held {
		keep = append(keep, h.pages)
	}
	return keep
}
