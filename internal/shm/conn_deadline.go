package shm

import "time"

// SetDeadline implements net.Conn.
func (c *Conn) SetDeadline(t time.Time) error {
	c.rd.setDeadline(t)
	c.wr.setDeadline(t)
	return c.kick(&c.rd, &c.wr)
}

// SetReadDeadline implements net.Conn. A Read waiting meanwhile sees it.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.rd.setDeadline(t)
	return c.kick(&c.rd)
}

// SetWriteDeadline implements net.Conn. A Write waiting meanwhile sees it.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.wr.setDeadline(t)
	return c.kick(&c.wr)
}

// kick wakes waiters on the given sides, unless the region is gone.
func (c *Conn) kick(sides ...*side) error {
	c.memMu.RLock()
	defer c.memMu.RUnlock()
	if c.mem == nil {
		return errClosed
	}
	for _, s := range sides {
		s.kick()
	}
	return nil
}
