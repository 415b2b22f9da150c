package session

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// An oversized length is refused from the header alone: the payload buffer
// is never asked for, and reading the header allocates next to nothing
// (the error's text), whatever the length claims — including lengths that
// turn negative as a 32-bit int.
func TestOversizeHeaderAllocatesNothing(t *testing.T) {
	const limit = 16 << 20
	for _, n := range []uint32{limit + 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF} {
		t.Run(fmt.Sprintf("%#x", n), func(t *testing.T) {
			b := make([]byte, wire.HeaderSize)
			(&wire.Header{Kind: wire.KindSend, ID: 1, Seq: 1, Len: n}).Put(b)
			src := bytes.NewReader(b)
			fr := newFrameReader(src, limit)
			alloc := func(int) []byte { t.Fatalf("asked for a payload buffer"); return nil }
			const runs = 1000
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range runs {
				src.Reset(b)
				fr.r, fr.w, fr.haveHdr = 0, 0, false
				if _, _, err := fr.next(alloc); !errors.Is(err, transport.ErrTooLarge) {
					t.Fatalf("length %#x: %v, want ErrTooLarge", n, err)
				}
			}
			runtime.ReadMemStats(&after)
			per := (after.TotalAlloc - before.TotalAlloc) / runs
			t.Logf("length %#x refused with %d bytes allocated", n, per)
			if per >= 1<<10 {
				t.Fatalf("refusing length %#x allocated %d bytes", n, per)
			}
		})
	}
}
