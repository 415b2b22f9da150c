package wire

import (
	"bytes"
	"testing"
)

// FuzzHeader: Decode never panics, and whatever it accepts encodes back to
// the same bytes.
func FuzzHeader(f *testing.F) {
	for _, h := range []Header{
		{Kind: KindSend, ID: 0x4A, Seq: 1, Len: 43, Timeout: 5e9},
		{Kind: KindPost, ID: 0x401, W: 7, L: 42},
		{Kind: KindReply, Seq: 1, W: 1, Len: 20},
		{Kind: KindGoaway, ID: 10, Len: 5},
		{Kind: KindCredit, ID: 2500, W: 160000},
		{Kind: KindSend, Flags: FlagShared, ID: 1, Seq: 9, Len: SharedSize},
	} {
		b := make([]byte, HeaderSize)
		h.Put(b)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Header
		err := h.Decode(b, 1<<24)
		if err != nil {
			return
		}
		out := make([]byte, HeaderSize)
		h.Put(out)
		if !bytes.Equal(out, b[:HeaderSize]) {
			t.Fatalf("accepted header re-encodes differently:\n in %x\nout %x", b[:HeaderSize], out)
		}
	})
}

// FuzzShared: ReadShared never panics, accepts only lengths within the
// limit, and what it accepts round-trips.
func FuzzShared(f *testing.F) {
	b := make([]byte, SharedSize)
	PutShared(b, 4096, 1<<20)
	f.Add(b, uint32(1<<24))
	f.Add(b[:8], uint32(1<<24))
	f.Add(make([]byte, SharedSize), uint32(0))
	f.Fuzz(func(t *testing.T, b []byte, max uint32) {
		off, n, err := ReadShared(b, max)
		if err != nil {
			return
		}
		if n == 0 || n > uint64(max) {
			t.Fatalf("accepted a %d-byte payload with limit %d", n, max)
		}
		out := make([]byte, SharedSize)
		PutShared(out, off, n)
		if !bytes.Equal(out, b) {
			t.Fatalf("accepted descriptor re-encodes differently: %x → %x", b, out)
		}
	})
}

// FuzzHello: ReadHello never panics, never reads past its limits, and what
// it accepts round-trips.
func FuzzHello(f *testing.F) {
	f.Add(AppendHello(nil, &Hello{Version: Version, PID: 1, MaxSize: 1 << 24, Name: "viewer"}))
	f.Add(AppendHello(nil, &Hello{Version: 2, MaxSize: 1, Name: "x"}))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		h, err := ReadHello(r)
		if read := len(b) - r.Len(); read > helloSize+MaxNameLen {
			t.Fatalf("read %d bytes", read)
		}
		if err != nil {
			return
		}
		again, err := ReadHello(bytes.NewReader(AppendHello(nil, h)))
		if err != nil || *again != *h {
			t.Fatalf("accepted hello does not round-trip: %+v → %+v (%v)", h, again, err)
		}
	})
}

// FuzzWelcome: ReadWelcome never panics and what it accepts round-trips.
func FuzzWelcome(f *testing.F) {
	f.Add(AppendWelcome(nil, &Welcome{Version: Version, Status: StatusOK, PID: 1, MaxSize: 1 << 24, CreditMsgs: 10000, CreditBytes: 1 << 26}))
	f.Add(AppendWelcome(nil, &Welcome{Version: Version, Status: StatusDenied, Reason: "no"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := ReadWelcome(bytes.NewReader(b))
		if err != nil {
			return
		}
		again, err := ReadWelcome(bytes.NewReader(AppendWelcome(nil, w)))
		if err != nil || *again != *w {
			t.Fatalf("accepted welcome does not round-trip: %+v → %+v (%v)", w, again, err)
		}
	})
}
