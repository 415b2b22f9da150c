package wire

import (
	"bytes"
	"errors"
	"testing"
)

func TestHeaderRoundTrip(t *testing.T) {
	cases := []Header{
		{Kind: KindSend, ID: 0x4A, Seq: 1, W: -7, L: 42, Timeout: 1e9, Len: 12},
		{Kind: KindPost, ID: 0x401, W: 7, L: 42},
		{Kind: KindReply, Seq: 9, W: -1, Len: 3},
		{Kind: KindError, ID: 1, Seq: 9, Len: 4},
		{Kind: KindCancel, Seq: 9},
		{Kind: KindCredit, ID: 100, W: 1 << 20},
		{Kind: KindSync, Seq: 3},
		{Kind: KindSyncAck, Seq: 3, W: 77},
		{Kind: KindGoaway, ID: 7, Len: 10},
		{Kind: KindDrain},
	}
	for _, h := range cases {
		b := make([]byte, HeaderSize)
		h.Put(b)
		var got Header
		if err := got.Decode(b, 1<<20); err != nil {
			t.Fatalf("%s: %v", h.Kind, err)
		}
		if got != h {
			t.Fatalf("round trip: got %+v, want %+v", got, h)
		}
	}
}

func TestHeaderRejects(t *testing.T) {
	enc := func(h Header) []byte {
		b := make([]byte, HeaderSize)
		h.Put(b)
		return b
	}
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"short", make([]byte, HeaderSize-1), ErrMalformed},
		{"kind 0", enc(Header{}), ErrKind},
		{"kind 11", enc(Header{Kind: 11}), ErrKind},
		{"drain with a seq", enc(Header{Kind: KindDrain, Seq: 1}), ErrField},
		{"flags", enc(Header{Kind: KindPost, Flags: 1}), ErrReserved},
		{"unknown flag", enc(Header{Kind: KindPost, Flags: 4}), ErrReserved},
		{"shared with a short payload", enc(Header{Kind: KindPost, Flags: FlagShared, Len: 8}), ErrField},
		{"shared error", enc(Header{Kind: KindError, ID: 1, Seq: 1, Flags: FlagShared, Len: SharedSize}), ErrField},
		{"send seq 0", enc(Header{Kind: KindSend}), ErrField},
		{"post with seq", enc(Header{Kind: KindPost, Seq: 1}), ErrField},
		{"cancel with payload", enc(Header{Kind: KindCancel, Seq: 1, Len: 1}), ErrField},
		{"negative credit", enc(Header{Kind: KindCredit, W: -1}), ErrField},
		{"error code 0", enc(Header{Kind: KindError, Seq: 1}), ErrField},
		{"oversize", enc(Header{Kind: KindPost, Len: 1<<20 + 1}), ErrOversize},
	}
	for _, c := range cases {
		var h Header
		if err := h.Decode(c.b, 1<<20); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	b := enc(Header{Kind: KindPost})
	b[6] = 1
	var h Header
	if err := h.Decode(b, 1<<20); !errors.Is(err, ErrReserved) {
		t.Errorf("reserved u16: %v", err)
	}
}

func TestDecodeNoAlloc(t *testing.T) {
	b := make([]byte, HeaderSize)
	(&Header{Kind: KindSend, Seq: 1}).Put(b)
	var h Header
	if n := testing.AllocsPerRun(100, func() { h.Decode(b, 1<<20) }); n != 0 {
		t.Fatalf("Decode allocates %v times", n)
	}
}

func TestHandshakeRoundTrip(t *testing.T) {
	h := Hello{Version: Version, Flags: HelloWantShm, PID: 42, MaxSize: 1 << 20, Name: "viewer"}
	got, err := ReadHello(bytes.NewReader(AppendHello(nil, &h)))
	if err != nil || *got != h {
		t.Fatalf("hello: %+v %v", got, err)
	}
	w := Welcome{Version: Version, Status: StatusOK, PID: 7, MaxSize: 1 << 24, CreditMsgs: 10000, CreditBytes: 1 << 26, Flags: 1}
	gw, err := ReadWelcome(bytes.NewReader(AppendWelcome(nil, &w)))
	if err != nil || *gw != w {
		t.Fatalf("welcome: %+v %v", gw, err)
	}
	d := Welcome{Version: Version, Status: StatusDenied, Reason: "uid 65534 not allowed"}
	gd, err := ReadWelcome(bytes.NewReader(AppendWelcome(nil, &d)))
	if err != nil || *gd != d {
		t.Fatalf("denial: %+v %v", gd, err)
	}
}

func TestHandshakeRejects(t *testing.T) {
	good := AppendHello(nil, &Hello{Version: Version, MaxSize: 1, Name: "x"})
	mut := func(off int, v byte) []byte {
		b := bytes.Clone(good)
		b[off] = v
		return b
	}
	for name, b := range map[string][]byte{
		"magic":      mut(0, 'X'),
		"flags":      mut(7, 0x80),
		"name len 0": mut(16, 0),
		"reserved":   mut(18, 1),
		"truncated":  good[:len(good)-1],
		"http":       []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
	} {
		if _, err := ReadHello(bytes.NewReader(b)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	okw := AppendWelcome(nil, &Welcome{Version: Version, Status: StatusOK, MaxSize: 1, CreditMsgs: 1, CreditBytes: 1})
	for name, b := range map[string][]byte{
		"status":    func() []byte { b := bytes.Clone(okw); b[6] = 99; return b }(),
		"no credit": AppendWelcome(nil, &Welcome{Version: Version, Status: StatusOK, MaxSize: 1}),
		"truncated": okw[:10],
	} {
		if _, err := ReadWelcome(bytes.NewReader(b)); err == nil {
			t.Errorf("welcome %s: accepted", name)
		}
	}
}
