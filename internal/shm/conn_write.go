package shm

import "sync/atomic"

// Write copies p into the outgoing ring, waiting for room as needed, and
// publishes it in chunks.
func (c *Conn) Write(p []byte) (int, error) {
	c.wrMu.Lock()
	defer c.wrMu.Unlock()
	if err := c.usable(&c.wr); err != nil {
		return 0, err
	}
	done := 0
	for done < len(p) {
		if c.gone.Load() {
			return done, errPeerClosed
		}
		room, err := c.tx.room(uint64(len(p) - done))
		if err != nil {
			return done, c.wr.fail(err)
		}
		if room == 0 {
			if err := c.wait(&c.wr, c.writable, errPeerClosed); err != nil {
				return done, err
			}
			continue
		}
		n := int(min(room, uint64(len(p)-done)))
		c.put(p[done : done+n])
		done += n
	}
	return done, nil
}

// TryWrite writes hdr and then payload if the outgoing ring has room for
// both right now, and reports whether it did; it never waits and never
// writes a part. It implements session.TryWriter, which lets a frame go
// from the sender's slice into the ring with one copy.
func (c *Conn) TryWrite(hdr, payload []byte) (bool, error) {
	c.wrMu.Lock()
	defer c.wrMu.Unlock()
	if err := c.usable(&c.wr); err != nil {
		return false, err
	}
	if c.gone.Load() {
		return false, errPeerClosed
	}
	need := uint64(len(hdr) + len(payload))
	room, err := c.tx.room(need)
	if err != nil || room < need {
		return false, c.wr.fail(err)
	}
	c.put(hdr, payload)
	return true, nil
}

// put copies bufs into the ring, which has room for them, publishing in
// chunks so that the reader can start on a large one early.
func (c *Conn) put(bufs ...[]byte) {
	pos, published := c.tx.pos, c.tx.pos
	for _, b := range bufs {
		for len(b) > 0 {
			n := min(len(b), chunk-int(pos-published))
			c.tx.write(b[:n], pos)
			pos += uint64(n)
			b = b[n:]
			if pos-published == chunk {
				c.publish(pos)
				published = pos
			}
		}
	}
	if pos != published {
		c.publish(pos)
	}
}

// publish makes the ring's bytes up to pos visible, waking the reader if
// it sleeps.
func (c *Conn) publish(pos uint64) {
	c.wake(c.tx.dataWait, c.tx.publish(pos))
}

// wake wakes the peer sleeping on w the way it sleeps (see takeWaiter).
func (c *Conn) wake(w *atomic.Uint32, how uint32) {
	switch how {
	case awake:
	case parked:
		c.ring()
	default: // futexed, or a value only a hostile peer writes
		futexWake(w)
	}
}

// writable is Write's wait condition.
func (c *Conn) writable() (bool, error) {
	n, err := c.tx.room(1)
	return n > 0, c.wr.fail(err)
}
