package shm

import (
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzRingReader drives a ring's reading end with a head index, a starting
// tail, ring contents and a series of read sizes, all chosen by the fuzzer
// as a hostile producer would. The reader must return exactly the bytes at
// its tail or ErrRingCorrupt — never panic or read out of bounds.
func FuzzRingReader(f *testing.F) {
	f.Add(uint64(100), uint64(0), []byte("hello, ring"), []byte{1, 7, 200})
	f.Add(uint64(MinRingSize+10), uint64(10), []byte{0xff}, []byte{255, 255, 255})
	f.Add(^uint64(0), uint64(0), []byte{}, []byte{1})
	f.Add(uint64(5), uint64(6), []byte{1, 2, 3}, []byte{})
	f.Add(uint64(1<<63), uint64(1<<63-MinRingSize/2), []byte("wrap"), []byte{64, 3})
	f.Fuzz(func(t *testing.T, head, tail uint64, data, reads []byte) {
		mem, l := heapRegion(MinRingSize)
		_, r := ringPair(mem, l)
		copy(r.data, data)
		r.pos = tail
		r.head.Store(head)
		want := head - tail
		avail, err := r.available()
		if want > MinRingSize {
			if !errors.Is(err, ErrRingCorrupt) {
				t.Fatalf("head %d tail %d: %d bytes available, err %v; want ErrRingCorrupt", head, tail, avail, err)
			}
			return
		}
		if err != nil || avail != want {
			t.Fatalf("head %d tail %d: %d available, err %v; want %d", head, tail, avail, err, want)
		}
		for _, size := range reads {
			avail, err := r.available()
			if err != nil {
				t.Fatal(err)
			}
			if avail == 0 {
				break
			}
			at := r.pos
			p := make([]byte, int(size)*64+1)
			n, _ := r.read(p, avail)
			if n != int(min(uint64(len(p)), avail)) {
				t.Fatalf("read %d bytes of %d available into %d", n, avail, len(p))
			}
			for i := range n {
				if p[i] != r.data[(at+uint64(i))&r.mask] {
					t.Fatalf("byte %d of a read at %d differs from the ring", i, at)
				}
			}
			if got := binary.LittleEndian.Uint64(mem[ctrlOffset(0)+offTail:]); got != r.pos {
				t.Fatalf("published tail %d, reader at %d", got, r.pos)
			}
		}
	})
}
