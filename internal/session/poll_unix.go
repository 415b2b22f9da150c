//go:build unix

package session

import (
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Busy polling. A reader that finds its socket empty polls it for a short,
// adaptive while before it parks on the netpoller. On a machine whose idle
// CPUs sleep — a virtual machine's especially — waking a parked thread
// costs more than a whole round trip's work, so an answer that comes
// within microseconds is worth waiting for awake: a 64-byte Send over
// unix: went from 18–24 µs to 5–6 µs p50 on the 2-vCPU VM of
// docs/BENCHMARKS.md. The budget adapts as shared memory's does: a wait
// short enough raises it to four times that wait (at most maxPoll); a long
// one halves it, down to none for a peer that is slow or idle. A poller
// gives other goroutines a turn every pollShare, and stops if they needed
// it. It never polls where the process has one P, or where
// POSTBOX_SOCKET_POLL=0.
const (
	defaultMaxPoll = 50 * time.Microsecond
	pollFloor      = 2 * time.Microsecond
	pollShare      = 5 * time.Microsecond
	pollYield      = 2 * time.Microsecond // a Gosched this long ran others: the CPU is wanted
)

// maxPoll bounds every poll; POSTBOX_SOCKET_POLL (a duration, "0" for
// none) sets it.
var maxPoll = func() time.Duration {
	if runtime.GOMAXPROCS(0) == 1 {
		return 0
	}
	if v, ok := os.LookupEnv("POSTBOX_SOCKET_POLL"); ok {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			return d // "0" turns polling off
		}
	}
	return defaultMaxPoll
}()

// pollReader is a socket read by busy polling first. One goroutine reads
// at a time (the frame reader's rule), so the state of the read under way
// lives here and the callback is made once: a Read allocates nothing.
type pollReader struct {
	net.Conn
	rc     syscall.RawConn
	budget time.Duration
	fn     func(fd uintptr) bool // p.read, bound once

	// The read under way.
	b      []byte
	n      int
	err    error
	start  time.Time // when the socket was first found empty
	turn   time.Time // when other goroutines last had a turn
	polled bool      // the poll is over: wait for readiness
}

// withPoll returns c, made to poll before parking if it is a socket.
func withPoll(c net.Conn) io.Reader {
	if maxPoll <= 0 {
		return c
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	p := &pollReader{Conn: c, rc: rc, budget: maxPoll}
	p.fn = p.read
	return p
}

func (p *pollReader) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	p.b, p.n, p.err, p.start, p.polled = b, 0, nil, time.Time{}, false
	err := p.rc.Read(p.fn)
	n, rerr := p.n, p.err
	if !p.start.IsZero() {
		p.observe(time.Since(p.start))
	}
	p.b, p.err = nil, nil
	if err != nil {
		return 0, p.opError(err)
	}
	if rerr != nil && rerr != io.EOF {
		rerr = p.opError(rerr)
	}
	return n, rerr
}

// read is the RawConn callback: it reads once the socket has data, polls
// it while the budget lasts, and asks to wait for readiness after that.
func (p *pollReader) read(fd uintptr) bool {
	for {
		m, e := unix.Read(int(fd), p.b)
		switch {
		case e == unix.EINTR:
			continue
		case e == unix.EAGAIN:
			if p.start.IsZero() {
				p.start = time.Now()
				p.turn = p.start
			}
			if p.polled || !p.poll() {
				p.polled = true
				return false // park until readable; read runs again then
			}
			continue
		case e != nil:
			p.err = os.NewSyscallError("read", e)
		case m == 0:
			p.err = io.EOF
		default:
			p.n = m
		}
		return true
	}
}

// ReadPatient reads without polling: it parks until the socket is
// readable, as a plain Conn does.
func (p *pollReader) ReadPatient(b []byte) (int, error) { return p.Conn.Read(b) }

func (p *pollReader) opError(err error) error {
	return &net.OpError{Op: "read", Net: p.LocalAddr().Network(), Source: p.LocalAddr(), Addr: p.RemoteAddr(), Err: err}
}

// poll reports whether to keep polling. Every pollShare it lets other
// goroutines run, and stops if they needed the CPU.
func (p *pollReader) poll() bool {
	t := time.Now()
	if t.Sub(p.start) >= p.budget {
		return false
	}
	if t.Sub(p.turn) >= pollShare {
		runtime.Gosched()
		if p.turn = time.Now(); p.turn.Sub(t) >= pollYield {
			return false
		}
	}
	return true
}

// observe adapts the budget to a wait that lasted w.
func (p *pollReader) observe(w time.Duration) {
	if w <= maxPoll {
		p.budget = min(max(4*w, p.budget, pollFloor), maxPoll)
		return
	}
	if p.budget /= 2; p.budget < pollFloor {
		p.budget = 0
	}
}
