package shm

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// TestOpenRegionRefuses: a client checks the memory file an endpoint sends
// — a hostile endpoint could otherwise shrink it under the client (a fault
// on access) or lie about its layout.
func TestOpenRegionRefuses(t *testing.T) {
	good := layout{sizes: [ringCount]uint64{MinRingSize, MinRingSize}}
	for _, tc := range []struct {
		name  string
		make  func(t *testing.T) int
		wantE error
	}{
		{"not sealed", func(t *testing.T) int { return memfd(t, good, 0, nil) }, ErrRingCorrupt},
		{"shrinkable", func(t *testing.T) int { return memfd(t, good, unix.F_SEAL_GROW|unix.F_SEAL_SEAL, nil) }, ErrRingCorrupt},
		{"future-write sealed", func(t *testing.T) int {
			return memfd(t, good, wantSeals&^unix.F_SEAL_SEAL|unix.F_SEAL_FUTURE_WRITE|unix.F_SEAL_SEAL, nil)
		}, ErrRingCorrupt},
		{"bad magic", func(t *testing.T) int { return memfd(t, good, wantSeals, func(b []byte) { b[0] = 'x' }) }, ErrRingCorrupt},
		{"sizes beyond the file", func(t *testing.T) int {
			return memfd(t, good, wantSeals, func(b []byte) { b[offSize1+1] = 0x20 }) // 8 KiB, a power of two
		}, ErrRingCorrupt},
		{"a pipe", func(t *testing.T) int {
			var p [2]int
			if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			unix.Close(p[1])
			return p[0]
		}, ErrRingCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fd := tc.make(t)
			defer unix.Close(fd)
			mem, _, err := openRegion(fd)
			if mem != nil {
				unmap(mem)
			}
			if !errors.Is(err, tc.wantE) {
				t.Fatalf("openRegion: %v, want %v", err, tc.wantE)
			}
		})
	}
}

// memfd makes a memory file of l's size with a header (patched by patch)
// and the given seals.
func memfd(t *testing.T, l layout, seals int, patch func([]byte)) int {
	t.Helper()
	fd, err := unix.MemfdCreate("test", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Ftruncate(fd, int64(l.total())); err != nil {
		t.Fatal(err)
	}
	hdr := make([]byte, headerFields)
	l.putHeader(hdr)
	if patch != nil {
		patch(hdr)
	}
	if _, err := unix.Pwrite(fd, hdr, 0); err != nil {
		t.Fatal(err)
	}
	if seals != 0 {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
			t.Fatal(err)
		}
	}
	return fd
}
