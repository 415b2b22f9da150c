package shm

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"testing"
	"time"
)

// TestConnStream pushes 8 MiB in random-sized writes through 64 KiB rings,
// so writers wait for room and reads wrap, and checks every byte.
func TestConnStream(t *testing.T) {
	c, e := pair(t, 64<<10)
	src := make([]byte, 8<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range src {
		src[i] = byte(rng.Uint32())
	}
	errc := make(chan error, 1)
	go func() {
		rest := src
		for len(rest) > 0 {
			n := min(len(rest), rng.IntN(200<<10)+1)
			if _, err := c.Write(rest[:n]); err != nil {
				errc <- err
				return
			}
			rest = rest[n:]
		}
		errc <- nil
	}()
	got := make([]byte, len(src))
	if _, err := io.ReadFull(e, got); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, src) {
		t.Fatal("the stream arrived changed")
	}
}

func TestConnReadDeadline(t *testing.T) {
	c, _ := pair(t, MinRingSize)
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	start := time.Now()
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past its deadline: %v", err)
	}
	if d := time.Since(start); d < 50*time.Millisecond || d > 5*time.Second {
		t.Fatalf("Read with a 50ms deadline returned after %v", d)
	}
	// A deadline set while a Read sleeps wakes it.
	c.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		done <- err
	}()
	time.Sleep(100 * time.Millisecond) // well past any spinning: the reader sleeps
	c.SetReadDeadline(time.Unix(1, 0))
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("sleeping Read after a past deadline: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a deadline in the past did not wake a sleeping Read")
	}
}

func TestConnWriteDeadline(t *testing.T) {
	c, _ := pair(t, MinRingSize)
	c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	n, err := c.Write(make([]byte, 3*MinRingSize))
	if !errors.Is(err, os.ErrDeadlineExceeded) || n != MinRingSize {
		t.Fatalf("Write into a ring nobody reads: %d, %v; want %d bytes and a timeout", n, err, MinRingSize)
	}
}

func TestConnCloseWakesOperations(t *testing.T) {
	c, _ := pair(t, MinRingSize)
	if _, err := c.Write(make([]byte, MinRingSize)); err != nil { // fill it
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	go func() {
		_, err := c.Read(make([]byte, 1))
		errs <- err
	}()
	go func() {
		_, err := c.Write([]byte{1})
		errs <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		select {
		case err := <-errs:
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("operation interrupted by Close: %v, want net.ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not wake a waiting operation")
		}
	}
	if err := c.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
	if err := c.SetDeadline(time.Now()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("SetDeadline after Close: %v", err)
	}
}

// TestConnPeerClose: what the peer wrote before closing is still read, then
// io.EOF; writes then fail.
func TestConnPeerClose(t *testing.T) {
	c, e := pair(t, MinRingSize)
	if _, err := c.Write([]byte("last words")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	e.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(e)
	if err != nil || string(got) != "last words" {
		t.Fatalf("read %q, %v after the peer closed; want its last words and EOF", got, err)
	}
	e.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := e.Write([]byte("anyone?")); !errors.Is(err, errPeerClosed) {
		t.Fatalf("Write to a closed peer: %v", err)
	}
}

// TestConnDataOnSocket: the socket carries nothing after the upgrade; a
// peer that sends something there breaks the connection.
func TestConnDataOnSocket(t *testing.T) {
	c, e := pair(t, MinRingSize)
	c.sock.Write([]byte("x"))
	e.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := e.Read(make([]byte, 1)); !errors.Is(err, ErrRingCorrupt) {
		t.Fatalf("Read after bytes on the liveness socket: %v, want ErrRingCorrupt", err)
	}
}
