package session

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// cheapChunked is chunked marked as a CheapReader, so the frame reader
// reads exactly, never ahead.
type cheapChunked struct{ chunked }

func (c *cheapChunked) Buffered() int { return len(c.data) }

// FuzzCheapFrameReader is FuzzFrameReader for streams with cheap reads:
// the same frames must come out, and the reader must never read past the
// frame it is on.
func FuzzCheapFrameReader(f *testing.F) {
	two := append(frame(wire.Header{Kind: wire.KindSend, ID: 0x4A, Seq: 1}, `{"mrn":456}`),
		frame(wire.Header{Kind: wire.KindPost, ID: 0x401, W: 7, L: 42}, "")...)
	f.Add(two, []byte{1, 2, 3, 47, 5})
	f.Add(frame(wire.Header{Kind: wire.KindPost, Len: 100}, string(make([]byte, 100))), []byte{63})
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"), []byte{7})
	const limit = 1 << 12
	f.Fuzz(func(t *testing.T, data, sizes []byte) {
		plain := newFrameReader(&chunked{data: data, sizes: sizes}, limit)
		src := &cheapChunked{chunked{data: data, sizes: sizes}}
		cheap := newFrameReader(src, limit)
		if !cheap.cheap {
			t.Fatal("a CheapReader was not recognised")
		}
		alloc := func(n int) []byte { return make([]byte, n) }
		for consumed := 0; ; {
			h1, p1, err1 := plain.next(alloc)
			h2, p2, err2 := cheap.next(alloc)
			if (err1 == nil) != (err2 == nil) || h1 != h2 || string(p1) != string(p2) {
				t.Fatalf("plain and cheap readers disagree: %+v %q %v / %+v %q %v", h1, p1, err1, h2, p2, err2)
			}
			if err2 != nil {
				if !errors.Is(err2, transport.ErrProtocol) && !errors.Is(err2, transport.ErrTooLarge) &&
					err2 != io.EOF && err2 != io.ErrUnexpectedEOF {
					t.Fatalf("untyped error %v", err2)
				}
				return
			}
			consumed += wire.HeaderSize + len(p2)
			if read := len(data) - len(src.data); read != consumed {
				t.Fatalf("the cheap reader read %d bytes for %d bytes of frames", read, consumed)
			}
		}
	})
}

// TestWholeFrame checks whole: true only once a frame is buffered entirely,
// so the endpoint's reader writes the answers it holds before it waits
// for the rest of a frame.
func TestWholeFrame(t *testing.T) {
	h := wire.Header{Kind: wire.KindSend, Seq: 1, Len: 100}
	b := make([]byte, wire.HeaderSize+100)
	h.Put(b)
	for _, tc := range []struct {
		n    int
		want bool
	}{{0, false}, {wire.HeaderSize - 1, false}, {wire.HeaderSize, false}, {wire.HeaderSize + 99, false}, {wire.HeaderSize + 100, true}} {
		f := newFrameReader(bytes.NewReader(nil), 1<<20)
		f.w = copy(f.buf, b[:tc.n])
		if got := f.whole(); got != tc.want {
			t.Errorf("%d bytes buffered: whole = %v, want %v", tc.n, got, tc.want)
		}
	}
}
