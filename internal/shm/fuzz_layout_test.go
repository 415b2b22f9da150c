package shm

import (
	"errors"
	"testing"
)

// FuzzLayout feeds readLayout a region header and file size as a hostile
// peer might present them. It must refuse with ErrRingCorrupt or return a
// geometry that fits the file exactly, with ring sizes within the limits.
func FuzzLayout(f *testing.F) {
	good := make([]byte, controlSize)
	layout{sizes: [ringCount]uint64{DefaultRingSize, DefaultRingSize}}.putHeader(good)
	f.Add(good[:headerFields], uint64(controlSize+2*DefaultRingSize))
	f.Add(good[:headerFields], uint64(controlSize))
	f.Add([]byte("PBXSHM2\x00\xff\xff\xff\xff\xff\xff\xff\xff\x00\x10"), ^uint64(0))
	withArenas := make([]byte, controlSize)
	layout{sizes: [ringCount]uint64{MinRingSize, MinRingSize}, arenas: [ringCount]uint64{pageSize, 2 * pageSize}}.putHeader(withArenas)
	f.Add(withArenas[:headerFields], uint64(controlSize+2*MinRingSize+3*pageSize))
	f.Add([]byte{}, uint64(0))
	f.Fuzz(func(t *testing.T, hdr []byte, size uint64) {
		l, err := readLayout(hdr, size)
		if err != nil {
			if !errors.Is(err, ErrRingCorrupt) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for i, s := range l.sizes {
			if s < MinRingSize || s > MaxRingSize || s&(s-1) != 0 {
				t.Fatalf("ring %d of %d bytes accepted", i, s)
			}
		}
		for i, s := range l.arenas {
			if s > MaxArenaSize || s%pageSize != 0 {
				t.Fatalf("arena %d of %d bytes accepted", i, s)
			}
		}
		if l.total() != size || l.arenaOffset(1)+l.arenas[1] != size || l.dataOffset(1)+l.sizes[1] != l.arenaOffset(0) {
			t.Fatalf("layout %+v does not fit a %d-byte file", l, size)
		}
	})
}
