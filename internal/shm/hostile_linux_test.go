package shm

import (
	"errors"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// hostileWords are the offsets of every word a peer could scribble on:
// both rings' indices and wait words, and the CPU hints.
func hostileWords() (w64, w32 []uint64) {
	for i := range ringCount {
		c := ctrlOffset(i)
		w64 = append(w64, c+offHead, c+offTail)
		w32 = append(w32, c+offDataWait, c+offRoomWait)
	}
	return w64, append(w32, offCPU0, offCPU1)
}

// scribble writes random values — mostly near the real ones, sometimes
// anything — into the shared words through mem until stop closes.
func scribble(mem []byte, seed uint64, stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(seed, seed))
	w64, w32 := hostileWords()
	for {
		select {
		case <-stop:
			return
		default:
		}
		if rng.IntN(3) == 0 {
			p := (*atomic.Uint32)(unsafe.Pointer(&mem[w32[rng.IntN(len(w32))]]))
			p.Store(uint32(rng.IntN(3)))
			continue
		}
		p := (*atomic.Uint64)(unsafe.Pointer(&mem[w64[rng.IntN(len(w64))]]))
		switch rng.IntN(3) {
		case 0:
			p.Store(rng.Uint64())
		default:
			p.Store(p.Load() + uint64(rng.IntN(2*MinRingSize)) - MinRingSize)
		}
		if rng.IntN(64) == 0 {
			time.Sleep(time.Duration(rng.IntN(200)) * time.Microsecond)
		}
	}
}

// TestAdversarialHeader: while a hostile peer writes random values into
// the ring headers, this end's reads and writes return data, a timeout, or
// ErrRingCorrupt (matching ErrProtocol) — no panic, no out-of-bounds
// access, no endless spin.
func TestAdversarialHeader(t *testing.T) {
	var corrupt, timeouts atomic.Int64
	for round := range 40 {
		c, e := pair(t, MinRingSize)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { scribble(c.mem, uint64(round), stop) })
		e.SetDeadline(time.Now().Add(300 * time.Millisecond))
		wg.Go(func() { victimReads(t, e, &corrupt, &timeouts) })
		wg.Go(func() { victimWrites(t, e, &corrupt, &timeouts) })
		time.Sleep(50 * time.Millisecond)
		close(stop)
		wg.Wait()
		e.Close()
	}
	if corrupt.Load() == 0 {
		t.Fatal("no corruption was ever detected")
	}
	t.Logf("%d operations saw ErrRingCorrupt, %d timed out", corrupt.Load(), timeouts.Load())
}

func victimReads(t *testing.T, e *Conn, corrupt, timeouts *atomic.Int64) {
	buf := make([]byte, 3*MinRingSize)
	for {
		if _, err := e.Read(buf); err != nil {
			classify(t, err, corrupt, timeouts)
			return
		}
	}
}

func victimWrites(t *testing.T, e *Conn, corrupt, timeouts *atomic.Int64) {
	buf := make([]byte, 700)
	for {
		if _, err := e.Write(buf); err != nil {
			classify(t, err, corrupt, timeouts)
			return
		}
	}
}

func classify(t *testing.T, err error, corrupt, timeouts *atomic.Int64) {
	switch {
	case errors.Is(err, ErrRingCorrupt) && errors.Is(err, transport.ErrProtocol):
		corrupt.Add(1)
	case errors.Is(err, os.ErrDeadlineExceeded):
		timeouts.Add(1)
	default:
		t.Errorf("operation under a hostile peer: %v", err)
	}
}
