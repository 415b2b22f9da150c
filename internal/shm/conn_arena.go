package shm

import (
	"cmp"
	"slices"
	"unsafe"
)

// Borrow returns a buffer of n bytes in the outgoing arena, for the caller
// to fill and pass to Share; nil when the region has no arena or no room
// is free. A buffer not shared goes back with Unborrow.
func (c *Conn) Borrow(n int) []byte {
	c.memMu.RLock()
	defer c.memMu.RUnlock()
	if c.mem == nil {
		return nil
	}
	b := c.lend.borrow(n)
	if b == nil {
		c.checkLender()
	}
	return b
}

// checkLender breaks the writing side once the peer gave back what it was
// not lent: the next write fails with ErrRingCorrupt, ending the
// connection as any broken ring does.
func (c *Conn) checkLender() {
	c.lend.mu.Lock()
	err := c.lend.bad
	c.lend.mu.Unlock()
	if err != nil {
		c.wr.fail(err)
	}
}

// Unborrow gives back a buffer from Borrow that was not shared; it reports
// whether p was one. After Close it lets go of the buffer's pages.
func (c *Conn) Unborrow(p []byte) bool {
	if _, in := c.lend.offsetIn(p); !in {
		return false // a Post's empty reply, ordinary memory: no lock at all
	}
	c.memMu.RLock()
	defer c.memMu.RUnlock()
	ok, gone := c.lend.unborrow(p)
	release(c.lend.data, gone)
	return ok
}

// Share makes p, a buffer from Borrow, travel by descriptor and returns
// its offset in the outgoing arena; ok is false for any other p, which
// must go through the ring. Once shared, the buffer's pages belong to the
// peer until it gives them back.
func (c *Conn) Share(p []byte) (off uint64, ok bool, err error) {
	if _, in := c.lend.offsetIn(p); !in {
		return 0, false, nil // most payloads: no lock at all
	}
	c.memMu.RLock()
	defer c.memMu.RUnlock()
	if c.mem == nil {
		return 0, false, errClosed
	}
	off, ok, err = c.lend.share(p)
	if err != nil {
		c.wr.fail(err)
	}
	return off, ok, err
}

// Resolve returns the payload a descriptor from the peer names, in the
// incoming arena, or ErrRingCorrupt for one outside it or over a payload
// not yet given back. The bytes are the peer's to write: they stay stable
// only while the peer keeps the protocol. Give them back with Return.
func (c *Conn) Resolve(off, n uint64) ([]byte, error) {
	c.memMu.RLock()
	defer c.memMu.RUnlock()
	if c.mem == nil {
		return nil, errClosed
	}
	return c.borrow.resolve(off, n)
}

// Return gives back the payload at off from Resolve; the peer may reuse
// its pages from then on. After Close it lets go of the payload's pages.
func (c *Conn) Return(off uint64) error {
	c.memMu.RLock()
	defer c.memMu.RUnlock()
	gone, err := c.borrow.giveBack(off)
	release(c.borrow.data, gone)
	return err
}

// HasArena reports whether payloads can travel by descriptor in both
// directions on c.
func (c *Conn) HasArena() bool { return len(c.lend.data) > 0 && len(c.borrow.data) > 0 }

// unmap releases the region; the caller holds memMu exclusively. The pages
// of buffers still borrowed by this side's user, or of payloads a handler
// still reads, stay at their addresses with their contents, detached from
// the peer: a slice into them stays valid instead of faulting, and its
// pages go when it is given back (Unborrow, Return).
func (c *Conn) unmap() {
	var keep []span
	for _, s := range c.lend.close() {
		keep = append(keep, within(c.mem, c.lend.data, s))
	}
	for _, s := range c.borrow.close() {
		keep = append(keep, within(c.mem, c.borrow.data, s))
	}
	slices.SortFunc(keep, func(a, b span) int { return cmp.Compare(a.off, b.off) })
	unmapKeeping(c.mem, keep)
	c.mem = nil
}

// within converts s, a span of arena, to a span of the region mem.
func within(mem, arena []byte, s span) span {
	base := uint64(uintptr(unsafe.Pointer(unsafe.SliceData(arena))) - uintptr(unsafe.Pointer(unsafe.SliceData(mem))))
	return span{base + s.off, base + s.end}
}

// release lets go of the detached pages s of arena, if any.
func release(arena []byte, s span) {
	if s.end > s.off {
		unmapPages(arena[s.off:s.end])
	}
}
