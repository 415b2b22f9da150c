package session

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"testing/iotest"

	"github.com/postbox-ipc/postbox/internal/wire"
)

// A header that announces a large payload which never comes costs the
// reader what has arrived plus growStep, not the announced length: a slow
// or silent peer cannot make an endpoint hold MaxSize per connection.
func TestAnnouncedPayloadAllocatedAsItArrives(t *testing.T) {
	const limit = 16 << 20
	b := make([]byte, wire.HeaderSize, wire.HeaderSize+4096)
	(&wire.Header{Kind: wire.KindPost, Len: limit}).Put(b)
	b = append(b, make([]byte, 4096)...)
	var asked int
	alloc := func(n int) []byte { asked += n; return make([]byte, n) }
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := newFrameReader(bytes.NewReader(b), limit).next(alloc)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("a payload cut short: %v, want io.ErrUnexpectedEOF", err)
	}
	got := after.TotalAlloc - before.TotalAlloc
	t.Logf("16 MiB announced, 4 KiB sent: %d bytes asked for, %d allocated", asked, got)
	if asked > growStep || got > growStep+256<<10 {
		t.Fatalf("16 MiB announced, 4 KiB sent: %d bytes asked for, %d allocated; want at most %d", asked, got, growStep)
	}
}

// A peer that stops exactly where the buffer ends (here after growStep
// bytes of a 16 MiB payload) does not make it grow: the next size is
// allocated only once a byte beyond it has come.
func TestFullBufferGrowsOnlyForMoreBytes(t *testing.T) {
	const limit = 16 << 20
	b := make([]byte, wire.HeaderSize, wire.HeaderSize+growStep)
	(&wire.Header{Kind: wire.KindPost, Len: limit}).Put(b)
	b = append(b, make([]byte, growStep)...)
	var asked []int
	alloc := func(n int) []byte { asked = append(asked, n); return make([]byte, n) }
	_, _, err := newFrameReader(bytes.NewReader(b), limit).next(alloc)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("a payload cut short: %v, want io.ErrUnexpectedEOF", err)
	}
	if len(asked) != 1 || asked[0] != growStep {
		t.Fatalf("%d of 16 MiB sent, then nothing: buffers asked for %v, want [%d]", growStep, asked, growStep)
	}
	_, _, err = newFrameReader(bytes.NewReader(append(b, 0)), limit).next(alloc)
	if !errors.Is(err, io.ErrUnexpectedEOF) || asked[len(asked)-1] != 2*growStep {
		t.Fatalf("one byte more: err %v, buffers asked for %v, want the last %d", err, asked, 2*growStep)
	}
}

// A payload larger than growStep arrives whole and intact through the
// growing buffer, whatever the stream's read sizes.
func TestLargePayloadThroughGrowingBuffer(t *testing.T) {
	for _, n := range []int{growStep, growStep + 1, 3*growStep + 12345} {
		payload := make([]byte, n)
		for i := range payload {
			payload[i] = byte(rand.Uint32())
		}
		b := make([]byte, wire.HeaderSize)
		(&wire.Header{Kind: wire.KindPost, Len: uint32(n)}).Put(b)
		b = append(b, payload...)
		for name, src := range map[string]io.Reader{
			"whole": bytes.NewReader(b),
			"half":  iotest.HalfReader(bytes.NewReader(b)),
		} {
			_, p, err := newFrameReader(src, 16<<20).next(func(n int) []byte { return make([]byte, n) })
			if err != nil || !bytes.Equal(p, payload) {
				t.Fatalf("%d bytes, %s reads: err %v, %d bytes back, equal %v", n, name, err, len(p), bytes.Equal(p, payload))
			}
		}
	}
}

// grown runs once per growth, after the payload so far is copied out of
// the buffer before: a recycler that reuses that buffer at once (here, by
// scribbling over it) leaves the payload whole.
func TestGrownBufferIsFreeOnceCopied(t *testing.T) {
	const size = 3*growStep + 12345
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	b := make([]byte, wire.HeaderSize, wire.HeaderSize+size)
	(&wire.Header{Kind: wire.KindPost, Len: size}).Put(b)
	b = append(b, payload...)
	var bufs [][]byte
	alloc := func(n int) []byte { d := make([]byte, n); bufs = append(bufs, d); return d }
	fr := newFrameReader(iotest.HalfReader(bytes.NewReader(b)), 16<<20)
	grown := 0
	fr.grown = func() {
		grown++
		for i := range bufs[len(bufs)-2] { // the one before the newest: free now
			bufs[len(bufs)-2][i] = 0xAA
		}
	}
	_, got, err := fr.next(alloc)
	if err != nil {
		t.Fatal(err)
	}
	if grown != len(bufs)-1 || grown == 0 {
		t.Fatalf("grown ran %d times for %d buffers", grown, len(bufs))
	}
	if !bytes.Equal(got, payload) {
		t.Fatal("the payload changed when an outgrown buffer was reused")
	}
}
