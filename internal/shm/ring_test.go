package shm

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// heapRegion is a region in ordinary memory, for tests of the ring logic
// alone; l's rings are both size bytes.
func heapRegion(size uint64) ([]byte, layout) {
	l := layout{sizes: [ringCount]uint64{size, size}}
	mem := make([]byte, l.total())
	l.putHeader(mem)
	return mem, l
}

// ringPair returns the writing and reading ends of ring 0 of mem.
func ringPair(mem []byte, l layout) (*writer, *reader) {
	return &writer{ring: newRing(mem, l, 0)}, &reader{ring: newRing(mem, l, 0)}
}

// TestRingWraps streams random-sized chunks through a small ring, many
// times around, and checks every byte.
func TestRingWraps(t *testing.T) {
	mem, l := heapRegion(MinRingSize)
	w, r := ringPair(mem, l)
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]byte, 1<<20)
	for i := range src {
		src[i] = byte(rng.Uint32())
	}
	var got []byte
	sent := 0
	buf := make([]byte, 3*MinRingSize)
	for len(got) < len(src) {
		if room, err := w.room(1); err != nil {
			t.Fatal(err)
		} else if n := min(int(room), len(src)-sent, rng.IntN(MinRingSize)+1); n > 0 {
			w.write(src[sent:sent+n], w.pos)
			w.publish(w.pos + uint64(n))
			sent += n
		}
		avail, err := r.available()
		if err != nil {
			t.Fatal(err)
		}
		if avail > 0 {
			n, _ := r.read(buf[:rng.IntN(len(buf))+1], avail)
			got = append(got, buf[:n]...)
		}
	}
	if !bytes.Equal(got, src) {
		t.Fatal("bytes came out of the ring changed")
	}
}

func TestRingRejectsBadIndices(t *testing.T) {
	mem, l := heapRegion(MinRingSize)
	w, r := ringPair(mem, l)
	r.pos, w.pos, w.seen = 10000, 10000, 10000
	for _, tc := range []struct {
		name       string
		head, tail uint64
		readerOK   bool
		writerOK   bool
	}{
		{"in step", 10000, 10000, true, true},
		{"full", 10000 + MinRingSize, 10000, true, true},
		{"head past a full ring", 10001 + MinRingSize, 10000, false, true},
		{"head behind tail", 9999, 10000, false, true},
		{"head at max", ^uint64(0), 10000, false, true},
		{"tail past head", 10000, 10001, true, false},
		{"tail a ring behind", 10000, 9999 - MinRingSize, true, false},
		{"tail zero", 10000, 0, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.head.Store(tc.head)
			w.tail.Store(tc.tail)
			_, rerr := r.available()
			_, werr := w.room(MinRingSize + 1) // more than a ring: always loads the tail
			checkIndexErr(t, "reader", rerr, tc.readerOK)
			checkIndexErr(t, "writer", werr, tc.writerOK)
		})
	}
}

func checkIndexErr(t *testing.T, who string, err error, ok bool) {
	t.Helper()
	switch {
	case ok && err != nil:
		t.Errorf("%s: %v, want no error", who, err)
	case !ok && !errors.Is(err, ErrRingCorrupt):
		t.Errorf("%s: %v, want ErrRingCorrupt", who, err)
	case !ok && !errors.Is(err, transport.ErrProtocol):
		t.Errorf("%s: %v does not match ErrProtocol", who, err)
	}
}

func TestRingSize(t *testing.T) {
	for _, tc := range []struct {
		in   int
		want uint64
	}{{0, DefaultRingSize}, {-5, DefaultRingSize}, {1, MinRingSize}, {MinRingSize + 1, 2 * MinRingSize},
		{3 << 20, 4 << 20}, {1 << 40, MaxRingSize}} {
		if got := RingSize(tc.in); got != tc.want {
			t.Errorf("RingSize(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestReadLayout(t *testing.T) {
	mem, l := heapRegion(MinRingSize)
	if got, err := readLayout(mem, l.total()); err != nil || got != l {
		t.Fatalf("readLayout of a good header: %v %v", got, err)
	}
	for _, tc := range []struct {
		name  string
		patch func(h []byte)
		size  uint64
	}{
		{"bad magic", func(h []byte) { h[0] = 'X' }, l.total()},
		{"size not a power of two", func(h []byte) { h[offSize0] = 1 }, l.total()},
		{"size too small", func(h []byte) { clear(h[offSize1 : offSize1+8]); h[offSize1] = 64 }, l.total()},
		{"size huge", func(h []byte) { h[offSize0+7] = 0x80 }, l.total()},
		{"file too short", func([]byte) {}, l.total() - 1},
		{"file too long", func([]byte) {}, l.total() + 4096},
		{"short header", nil, l.total()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := append([]byte(nil), mem[:headerFields]...)
			if tc.patch == nil {
				h = h[:headerFields-1]
			} else {
				tc.patch(h)
			}
			if _, err := readLayout(h, tc.size); !errors.Is(err, ErrRingCorrupt) {
				t.Fatalf("readLayout: %v, want ErrRingCorrupt", err)
			}
		})
	}
}
