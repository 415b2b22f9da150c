//go:build unix

package session

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// A polling reader reads like the socket it wraps: data, a deadline's
// timeout (os.ErrDeadlineExceeded), EOF once the peer closes, net.ErrClosed
// after its own Close.
func TestPollReaderReadsLikeTheSocket(t *testing.T) {
	if maxPoll <= 0 {
		t.Skip("busy polling is off here (one P, or POSTBOX_SOCKET_POLL=0)")
	}
	ln, err := net.Listen("unix", t.TempDir()+"/s")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	r, ok := withPoll(c).(*pollReader)
	if !ok {
		t.Fatal("a Unix socket is not polled")
	}
	buf := make([]byte, 16)
	go func() { time.Sleep(time.Millisecond); peer.Write([]byte("hello")) }()
	if n, err := r.Read(buf); err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("Read: %q, %v", buf[:n], err)
	}
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := r.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	c.SetReadDeadline(time.Time{})
	peer.Close()
	if _, err := r.Read(buf); err != io.EOF {
		t.Fatalf("Read after the peer closed: %v, want io.EOF", err)
	}
	c.Close()
	if _, err := r.Read(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read after Close: %v, want net.ErrClosed", err)
	}
}

// The budget follows the waits: short ones keep it (up to maxPoll), long
// ones halve it down to none, and a short one brings it back (to four
// times its length).
func TestPollBudgetAdapts(t *testing.T) {
	if maxPoll <= 0 {
		t.Skip("busy polling is off here (one P, or POSTBOX_SOCKET_POLL=0)")
	}
	p := &pollReader{budget: maxPoll}
	p.observe(maxPoll / 10)
	if p.budget != maxPoll {
		t.Fatalf("after a short wait the budget is %v, want %v", p.budget, maxPoll)
	}
	for range 20 {
		p.observe(10 * time.Millisecond)
	}
	if p.budget != 0 {
		t.Fatalf("after long waits the budget is %v, want 0", p.budget)
	}
	p.observe(time.Microsecond)
	if p.budget != 4*time.Microsecond {
		t.Fatalf("after a 1 µs wait the budget is %v, want four times the wait", p.budget)
	}
}
