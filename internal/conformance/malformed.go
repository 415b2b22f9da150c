package conformance

import (
	"encoding/binary"
	"io"
	"os"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// badFrame is one malformed input and the reason the endpoint must give.
type badFrame struct {
	name  string
	frame func() []byte
	code  transport.Code
}

func header(h wire.Header) []byte {
	b := make([]byte, wire.HeaderSize)
	h.Put(b)
	return b
}

func patch(b []byte, off int, v uint32) []byte {
	binary.LittleEndian.PutUint32(b[off:], v)
	return b
}

var badFrames = []badFrame{
	{"unknown kind", func() []byte { return header(wire.Header{Kind: 42}) }, transport.CodeProtocol},
	{"kind zero", func() []byte { return header(wire.Header{}) }, transport.CodeProtocol},
	{"reserved bits", func() []byte { return patch(header(wire.Header{Kind: wire.KindPost}), 12, 1) }, transport.CodeProtocol},
	{"flags set", func() []byte { return header(wire.Header{Kind: wire.KindPost, Flags: 1}) }, transport.CodeProtocol},
	{"send without seq", func() []byte { return header(wire.Header{Kind: wire.KindSend}) }, transport.CodeProtocol},
	{"negative timeout", func() []byte { return header(wire.Header{Kind: wire.KindSend, Seq: 1, Timeout: -1}) }, transport.CodeProtocol},
	{"reply from the sender", func() []byte { return header(wire.Header{Kind: wire.KindReply, Seq: 1}) }, transport.CodeProtocol},
	{"credit from the sender", func() []byte { return header(wire.Header{Kind: wire.KindCredit, ID: 5}) }, transport.CodeProtocol},
	{"length 0xFFFFFFFF", func() []byte { return header(wire.Header{Kind: wire.KindPost, Len: 0xFFFFFFFF}) }, transport.CodeTooLarge},
	{"length max+1", func() []byte { return header(wire.Header{Kind: wire.KindPost, Len: 1<<20 + 1}) }, transport.CodeTooLarge},
	{"length negative as int32", func() []byte { return header(wire.Header{Kind: wire.KindSend, Seq: 1, Len: 0x80000000}) }, transport.CodeTooLarge},
}

var _ = add("MalformedFrames", func(t *testing.T, s *suite) {
	if s.Raw == nil {
		t.Skip("the transport has no byte stream to corrupt")
	}
	ep, addr := s.listen(t, echo, func(lc *postbox.ListenConfig) { lc.MaxSize = 1 << 20 })
	good := s.dial(t, addr)
	for i, bf := range badFrames {
		t.Run(bf.name, func(t *testing.T) {
			raw, err := s.Raw(ctx(t), ep)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			raw.SetDeadline(time.Now().Add(10 * time.Second))
			handshake(t, raw, ep.Name())
			if _, err := raw.Write(bf.frame()); err != nil {
				t.Fatal(err)
			}
			if code := readGoaway(t, raw); code != bf.code {
				t.Fatalf("endpoint answered %q with code %d, want %d", bf.name, code, bf.code)
			}
			if err := checkedSend(ctx(t), good, i, 1); err != nil {
				t.Fatalf("another client after %q: %v", bf.name, err)
			}
		})
	}
	t.Run("not postbox", func(t *testing.T) {
		raw, err := s.Raw(ctx(t), ep)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		raw.SetDeadline(time.Now().Add(10 * time.Second))
		raw.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		if n, err := io.ReadFull(raw, make([]byte, 1)); err == nil || os.IsTimeout(err) {
			t.Fatalf("an HTTP request got %d bytes back and the connection stayed open (%v)", n, err)
		}
	})
})

// handshake performs a client handshake by hand.
func handshake(t *testing.T, c io.ReadWriter, name string) {
	t.Helper()
	hello := wire.Hello{Version: wire.Version, PID: uint32(os.Getpid()), MaxSize: 1 << 20, Name: name}
	if _, err := c.Write(wire.AppendHello(nil, &hello)); err != nil {
		t.Fatal(err)
	}
	w, err := wire.ReadWelcome(c)
	if err != nil || w.Status != wire.StatusOK {
		t.Fatalf("handshake: %v %+v", err, w)
	}
}

// readGoaway reads frames until a Goaway and returns its code; the stream
// must then end.
func readGoaway(t *testing.T, c io.Reader) transport.Code {
	t.Helper()
	hb := make([]byte, wire.HeaderSize)
	for {
		if _, err := io.ReadFull(c, hb); err != nil {
			t.Fatalf("connection ended without a goaway frame: %v", err)
		}
		var h wire.Header
		if err := h.Decode(hb, 1<<20); err != nil {
			t.Fatalf("endpoint sent a bad frame: %v", err)
		}
		if _, err := io.CopyN(io.Discard, c, int64(h.Len)); err != nil {
			t.Fatal(err)
		}
		if h.Kind == wire.KindGoaway {
			if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
				t.Fatalf("connection still open after goaway")
			}
			return transport.Code(h.ID)
		}
	}
}
