package session

import (
	"errors"
	"io"
	"testing"

	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// chunked returns its data in pieces whose sizes come from the data's own
// first bytes, to split frames at arbitrary points.
type chunked struct {
	data  []byte
	sizes []byte
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(c.sizes) > 0 {
		n = int(c.sizes[0])%64 + 1
		c.sizes = c.sizes[1:]
	}
	n = min(n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func frame(h wire.Header, payload string) []byte {
	h.Len = uint32(len(payload))
	b := make([]byte, wire.HeaderSize)
	h.Put(b)
	return append(b, payload...)
}

// FuzzFrameReader: a stream of any bytes, split anywhere, yields valid
// frames then a typed error — never a panic, and never a buffer larger than
// the limit.
func FuzzFrameReader(f *testing.F) {
	two := append(frame(wire.Header{Kind: wire.KindSend, ID: 0x4A, Seq: 1}, `{"mrn":456}`),
		frame(wire.Header{Kind: wire.KindPost, ID: 0x401, W: 7, L: 42}, "")...)
	f.Add(two, []byte{1, 2, 3, 47, 5})
	f.Add(frame(wire.Header{Kind: wire.KindPost, Len: 0xFFFFFFFF}, ""), []byte{0})
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"), []byte{7})
	const limit = 1 << 12
	f.Fuzz(func(t *testing.T, data, sizes []byte) {
		fr := newFrameReader(&chunked{data: data, sizes: sizes}, limit)
		alloc := func(n int) []byte {
			if n > limit {
				t.Fatalf("asked for a %d-byte buffer, limit %d", n, limit)
			}
			return make([]byte, n)
		}
		for i := 0; ; i++ {
			h, p, err := fr.next(alloc)
			if err != nil {
				if !errors.Is(err, transport.ErrProtocol) && !errors.Is(err, transport.ErrTooLarge) &&
					err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatalf("untyped error %v", err)
				}
				return
			}
			if int(h.Len) != len(p) {
				t.Fatalf("frame %d: header says %d bytes, payload has %d", i, h.Len, len(p))
			}
		}
	})
}
