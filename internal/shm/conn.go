package shm

import (
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// chunk is how much a writer copies before publishing, so the reader can
// start on a large write while the rest is still being copied.
const chunk = 64 << 10

var (
	errClosed = net.ErrClosed
	// errPeerClosed is what a write returns once the peer is gone.
	errPeerClosed = fmt.Errorf("shared memory: peer closed: %w", syscall.EPIPE)
)

// Conn is one end of a shared-memory connection: a net.Conn whose bytes
// travel through the region's rings, with the Unix socket it was set up on
// kept open as the liveness channel. Read and Write may be called
// concurrently with each other and with the deadline setters and Close;
// concurrent Reads (or Writes) are serialized.
type Conn struct {
	sock *net.UnixConn
	mem  []byte // the mapping; unmapped by Close
	rx   reader
	tx   writer
	rd   side // waiting for data: sleeps on rx's dataWait word
	wr   side // waiting for room: sleeps on tx's roomWait word
	cpu  cpuHints

	rdMu   sync.Mutex   // held by Read; by Close before unmapping
	wrMu   sync.Mutex   // held by Write; by Close before unmapping
	memMu  sync.RWMutex // held shared by kicks, exclusively by Close to unmap
	closed atomic.Bool
	gone   atomic.Bool // the socket closed: the peer ended or died

	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup // the liveness watcher
}

var _ net.Conn = (*Conn)(nil)

// newConn wraps a mapped region. endpoint selects which end this is. The
// Conn owns sock and mem from here on.
func newConn(sock *net.UnixConn, mem []byte, l layout, endpoint bool) *Conn {
	in, out := toClient, toEndpoint
	if endpoint {
		in, out = toEndpoint, toClient
	}
	c := &Conn{sock: sock, mem: mem}
	c.rx = reader{ring: newRing(mem, l, in)}
	c.tx = writer{ring: newRing(mem, l, out)}
	c.rd.word, c.rd.bell = c.rx.dataWait, make(chan struct{}, 1)
	c.wr.word, c.wr.bell = c.tx.roomWait, make(chan struct{}, 1)
	c.rd.spin.budget, c.wr.spin.budget = DefaultMaxSpin, DefaultMaxSpin
	c.cpu = cpuHints{mine: cpuWord(mem, endpoint), peer: cpuWord(mem, !endpoint)}
	c.wg.Add(1)
	go c.watch()
	return c
}

// Read reads up to len(p) bytes from the incoming ring, waiting for at
// least one. Once the peer is gone and the ring is drained it returns
// io.EOF.
func (c *Conn) Read(p []byte) (int, error) {
	c.rdMu.Lock()
	defer c.rdMu.Unlock()
	if err := c.usable(&c.rd); err != nil || len(p) == 0 {
		return 0, err
	}
	for {
		n, err := c.rx.available()
		if err != nil {
			return 0, c.rd.fail(err)
		}
		if n > 0 {
			k, how := c.rx.read(p, n)
			c.wake(c.rx.roomWait, how)
			return k, nil
		}
		if err := c.wait(&c.rd, c.readable, io.EOF); err != nil {
			return 0, err
		}
	}
}

// readable is Read's wait condition.
func (c *Conn) readable() (bool, error) {
	n, err := c.rx.available()
	return n > 0, c.rd.fail(err)
}

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

// usable reports why an operation on s may not start. A ring found
// corrupt stays so; the other direction may still carry a goodbye.
func (c *Conn) usable(s *side) error {
	if c.closed.Load() {
		return errClosed
	}
	if err := s.broken(); err != nil {
		return err
	}
	return s.expired()
}

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

// LocalAddr is the socket's local address.
func (c *Conn) LocalAddr() net.Addr { return c.sock.LocalAddr() }

// RemoteAddr is the socket's remote address.
func (c *Conn) RemoteAddr() net.Addr { return c.sock.RemoteAddr() }

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
		unmap(c.mem)
		c.mem = nil
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

// CheapReads marks Conn as a stream whose reads cost no system call
// (session.CheapReader): the session reads frames from it exactly, each
// payload straight from the ring into its destination.
func (*Conn) CheapReads() {}
