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
			return d
		}
		if v == "0" {
			return 0
		}
	}
	return defaultMaxPoll
}()

// pollReader is a socket read by busy polling first. One goroutine reads
// at a time (the frame reader's rule).
type pollReader struct {
	net.Conn
	rc     syscall.RawConn
	budget time.Duration
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
	return &pollReader{Conn: c, rc: rc, budget: maxPoll}
}

func (p *pollReader) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var (
		n      int
		rerr   error
		start  time.Time // when the socket was first found empty
		turn   time.Time // when other goroutines last had a turn
		polled bool      // the poll is over: wait for readiness
	)
	err := p.rc.Read(func(fd uintptr) bool {
		for {
			m, e := unix.Read(int(fd), b)
			switch {
			case e == unix.EINTR:
				continue
			case e == unix.EAGAIN:
				if start.IsZero() {
					start = time.Now()
					turn = start
				}
				if polled || !p.poll(start, &turn) {
					polled = true
					return false // park until readable; f runs again then
				}
				continue
			case e != nil:
				rerr = os.NewSyscallError("read", e)
			case m == 0:
				rerr = io.EOF
			default:
				n = m
			}
			return true
		}
	})
	if !start.IsZero() {
		p.observe(time.Since(start))
	}
	if err != nil {
		return 0, &net.OpError{Op: "read", Net: p.LocalAddr().Network(), Source: p.LocalAddr(), Addr: p.RemoteAddr(), Err: err}
	}
	if rerr != nil && rerr != io.EOF {
		rerr = &net.OpError{Op: "read", Net: p.LocalAddr().Network(), Source: p.LocalAddr(), Addr: p.RemoteAddr(), Err: rerr}
	}
	return n, rerr
}

// poll reports whether to keep polling, start being when the socket was
// found empty. Every pollShare it lets other goroutines run (turn is when
// they last could), and stops if they needed the CPU.
func (p *pollReader) poll(start time.Time, turn *time.Time) bool {
	t := time.Now()
	if t.Sub(start) >= p.budget {
		return false
	}
	if t.Sub(*turn) >= pollShare {
		runtime.Gosched()
		if *turn = time.Now(); turn.Sub(t) >= pollYield {
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
