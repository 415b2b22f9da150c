package winmsg

import (
	"bytes"
	"errors"
	"testing"

	"github.com/postbox-ipc/postbox/internal/transport"
)

func TestParseAddr(t *testing.T) {
	cases := []struct {
		in   string
		want Target
	}{
		{"viewer", Target{Kind: ByEndpoint, Text: "viewer"}},
		{"title=Seed Receiver", Target{Kind: ByTitle, Text: "Seed Receiver"}},
		{"title=a=b", Target{Kind: ByTitle, Text: "a=b"}},
		{"title=What?", Target{Kind: ByTitle, Text: "What?"}},
		{"title=Main?enc=ansi", Target{Kind: ByTitle, Text: "Main", Enc: ANSI}},
		{"title=Main?enc=latin9", Target{Kind: ByTitle, Text: "Main?enc=latin9"}},
		{"class=SeedReceiver?enc=utf16", Target{Kind: ByClass, Text: "SeedReceiver", Enc: UTF16}},
		{"pid=4242", Target{Kind: ByPID, PID: 4242}},
		{"hwnd=0x1A2B", Target{Kind: ByHWND, HWND: 0x1a2b}},
		{"hwnd=ff", Target{Kind: ByHWND, HWND: 0xff}},
		{"viewer?enc=bytes", Target{Kind: ByEndpoint, Text: "viewer"}},
	}
	for _, c := range cases {
		got, err := ParseAddr(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseAddr(%q) = %+v, %v, want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "title=", "class=", "pid=-1", "pid=x", "hwnd=0xzz", "color=red", "bad name"} {
		if _, err := ParseAddr(bad); !errors.Is(err, transport.ErrBadAddress) {
			t.Errorf("ParseAddr(%q): %v, want ErrBadAddress", bad, err)
		}
	}
}

func TestTargetStringRoundTrips(t *testing.T) {
	for _, in := range []string{"viewer", "title=Seed Receiver?enc=ansi", "class=X", "pid=7", "hwnd=0x1a2b?enc=utf16"} {
		tg, err := ParseAddr(in)
		if err != nil || tg.String() != in {
			t.Errorf("ParseAddr(%q).String() = %q, %v", in, tg.String(), err)
		}
	}
}

func TestEncodings(t *testing.T) {
	seed := []byte(`{"userCode":"dba","wardCode":123,"mrn":456}`)
	cases := []struct {
		enc  Encoding
		in   []byte
		wire []byte
	}{
		{Bytes, []byte{0, 1, 0xff}, []byte{0, 1, 0xff}},
		{ANSI, seed, append(append([]byte(nil), seed...), 0)}, // cbData = len+1
		{ANSI, nil, []byte{0}},
		{UTF16, []byte("hé"), []byte{'h', 0, 0xe9, 0, 0, 0}},
		{UTF16, []byte("😀"), []byte{0x3d, 0xd8, 0x00, 0xde, 0, 0}},
	}
	for _, c := range cases {
		w, err := c.enc.Encode(c.in)
		if err != nil || !bytes.Equal(w, c.wire) {
			t.Errorf("%v.Encode(%q) = %x, %v, want %x", c.enc, c.in, w, err, c.wire)
			continue
		}
		back, err := c.enc.Decode(w)
		if err != nil || !bytes.Equal(back, c.in) && len(c.in) > 0 {
			t.Errorf("%v.Decode(%x) = %q, %v, want %q", c.enc, w, back, err, c.in)
		}
	}
	if _, err := ParseEncoding("ebcdic"); !errors.Is(err, transport.ErrBadAddress) {
		t.Errorf("ParseEncoding(ebcdic): %v", err)
	}
}
