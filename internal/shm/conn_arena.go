package shm

// Borrow returns a buffer of n bytes in the outgoing arena, for the caller
// to fill and pass to Share; nil when the region has no arena or no room
// is free. A buffer not shared goes back with Unborrow.
func (c *Conn) Borrow(n int) []byte {
	c.memMu.RLock()
	defer c.memMu.RUnlock()
	if c.mem == nil {
		return nil
	}
	return c.lend.borrow(n)
}

// Unborrow gives back a buffer from Borrow that was not shared; it reports
// whether p was one.
func (c *Conn) Unborrow(p []byte) bool {
	c.memMu.RLock()
	defer c.memMu.RUnlock()
	return c.mem != nil && c.lend.unborrow(p)
}

// Share makes p travel by descriptor and returns its offset in the
// outgoing arena: p as it is if it came from Borrow, else a copy of it if
// it has at least copyMin bytes (copyMin > 0) and the arena has room. ok
// false means p must go through the ring. Once shared, the arena's pages
// belong to the peer until it gives them back.
func (c *Conn) Share(p []byte, copyMin int) (off uint64, ok bool, err error) {
	c.memMu.RLock()
	defer c.memMu.RUnlock()
	if c.mem == nil {
		return 0, false, errClosed
	}
	return c.lend.share(p, copyMin)
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
// its pages from then on. After Close it does nothing.
func (c *Conn) Return(off uint64) error {
	c.memMu.RLock()
	defer c.memMu.RUnlock()
	if c.mem == nil {
		return nil
	}
	return c.borrow.giveBack(off)
}

// HasArena reports whether payloads can travel by descriptor in both
// directions on c.
func (c *Conn) HasArena() bool { return len(c.lend.data) > 0 && len(c.borrow.data) > 0 }

// unmap releases the region; the caller holds memMu exclusively. If a
// buffer in an arena is still borrowed or held, the arenas (the region's
// tail) are replaced by private anonymous memory at the same addresses
// instead, so that a slice into them stays valid — now detached from the
// peer — rather than faulting; those addresses stay mapped.
func (c *Conn) unmap() {
	keepOut, keepIn := c.lend.close(), c.borrow.close()
	keep := len(c.mem)
	if keepOut || keepIn {
		keep -= len(c.lend.data) + len(c.borrow.data)
	}
	unmapKeeping(c.mem, keep)
	c.mem = nil
}
