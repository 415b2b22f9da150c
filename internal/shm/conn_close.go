package shm

import (
	"os"
	"sync"
	"time"
)

// Close closes the socket (telling the peer), wakes and waits out any Read
// or Write in progress, unmaps the region and waits for the watcher. A
// second Close returns net.ErrClosed.
func (c *Conn) Close() error {
	err := errClosed
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		c.kick(&c.rd, &c.wr)
		c.closeErr = c.sock.Close()
		c.quiesce(&c.rdMu, &c.rd)
		c.quiesce(&c.wrMu, &c.wr)
		c.memMu.Lock()
		c.unmap()
		c.memMu.Unlock()
		c.rdMu.Unlock()
		c.wrMu.Unlock()
		c.wg.Wait()
		err = c.closeErr
	})
	return err
}

// quiesce takes mu once the operation holding it has left, kicking its
// side until it does (a peer may re-arm the wait word behind a kick).
func (c *Conn) quiesce(mu *sync.Mutex, s *side) {
	for !mu.TryLock() {
		c.kick(s)
		time.Sleep(20 * time.Microsecond)
	}
}

// watch reads the socket until it ends: the peer closed its end or died.
// After the upgrade only doorbell bytes may arrive on it, each waking this
// end's parked sleepers; anything else is a protocol violation and ends
// the connection too.
func (c *Conn) watch() {
	defer c.wg.Done()
	var b [64]byte
	for {
		n, err := c.sock.Read(b[:])
		if n > 0 && !doorbells(b[:n]) {
			c.rd.fail(corrupt("data on the socket after the upgrade"))
			break
		}
		if n > 0 {
			c.rd.ringBell()
			c.wr.ringBell()
		}
		if os.IsTimeout(err) {
			c.sock.SetReadDeadline(time.Time{}) // left from the handshake
			continue
		}
		if err != nil {
			break
		}
	}
	c.gone.Store(true)
	c.kick(&c.rd, &c.wr)
}
