package shm

import (
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
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
	// The reading side, touched by the goroutine reading.
	rdMu sync.Mutex // held by Read; by Close before unmapping
	rx   reader
	rd   side // waiting for data: sleeps on rx's dataWait word
	_    [lineSize]byte

	// The writing side, touched by the goroutine writing.
	wrMu sync.Mutex // held by Write; by Close before unmapping
	tx   writer
	wr   side // waiting for room: sleeps on tx's roomWait word
	_    [lineSize]byte

	lend   lender   // the outgoing arena
	borrow borrower // the incoming arena

	sock   *net.UnixConn
	mem    []byte // the mapping; unmapped by Close
	cpu    cpuHints
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
	c.lend.data, c.lend.ret = arenaData(mem, l, out), newRetRing(mem, out)
	c.borrow.data, c.borrow.ret = arenaData(mem, l, in), newRetRing(mem, in)
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

// LocalAddr is the socket's local address.
func (c *Conn) LocalAddr() net.Addr { return c.sock.LocalAddr() }

// RemoteAddr is the socket's remote address.
func (c *Conn) RemoteAddr() net.Addr { return c.sock.RemoteAddr() }

// Buffered reports how many bytes Read would return without waiting. With
// it Conn is a session.CheapReader: reads cost no system call, so the
// session reads frames exactly, each payload straight from the ring into
// its destination, and asks Buffered whether more input waits.
func (c *Conn) Buffered() int {
	c.rdMu.Lock()
	defer c.rdMu.Unlock()
	if c.closed.Load() || c.rd.broken() != nil {
		return 0
	}
	n, err := c.rx.available()
	if err != nil {
		return 0 // Read reports it
	}
	return int(n)
}
