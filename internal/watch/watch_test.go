package watch

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox/internal/stats"
)

func TestBatchRoundTrip(t *testing.T) {
	in := []slot{
		{start: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC).UnixNano(), took: 1500, pid: 42, uid: -1, id: 0x4A,
			size: 100, w: -7, l: 9, result: 3, replySize: 5, send: true, kind: stats.KindPanic},
		{pid: -1, uid: 1000, id: 0xFFFF, size: 2},
	}
	in[0].tlen = uint8(copy(in[0].transport[:], "unix"))
	in[0].hlen = uint8(copy(in[0].head[:], bytes.Repeat([]byte{0xAB}, HeadSize)))
	in[1].hlen = uint8(copy(in[1].head[:], "hi"))
	b := appendBatchHeader(nil, 17, len(in))
	for i := range in {
		b = appendSlot(b, &in[i])
	}
	recs, dropped, err := DecodeBatch(b)
	if err != nil || dropped != 17 || len(recs) != 2 {
		t.Fatalf("DecodeBatch: %d records, %d dropped, %v", len(recs), dropped, err)
	}
	r := recs[0]
	if !r.Time.Equal(time.Unix(0, in[0].start)) || r.Took != 1500 || r.PID != 42 || r.UID != -1 || r.ID != 0x4A ||
		r.Size != 100 || r.W != -7 || r.L != 9 || r.Result != 3 || r.ReplySize != 5 || !r.Send ||
		r.Err != "panic" || r.Transport != "unix" || !bytes.Equal(r.Head, bytes.Repeat([]byte{0xAB}, HeadSize)) {
		t.Errorf("record 0: %+v", r)
	}
	if r := recs[1]; r.Send || r.Err != "" || string(r.Head) != "hi" || r.UID != 1000 || r.PID != -1 {
		t.Errorf("record 1: %+v", r)
	}
	// Every truncation fails cleanly.
	for i := range len(b) {
		if _, _, err := DecodeBatch(b[:i]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("a batch cut at %d bytes: %v", i, err)
		}
	}
}

func TestFilter(t *testing.T) {
	s := &slot{id: 5, pid: 10, uid: 20, kind: stats.KindHandler}
	cases := []struct {
		f    Filter
		want bool
	}{
		{Filter{}, true},
		{Filter{IDs: []uint32{4, 5}}, true},
		{Filter{IDs: []uint32{4}}, false},
		{Filter{PIDs: []int{10}, UIDs: []int{20}}, true},
		{Filter{PIDs: []int{11}}, false},
		{Filter{Errors: true}, true},
	}
	for _, c := range cases {
		if got := c.f.match(s); got != c.want {
			t.Errorf("%+v matches %v, want %v", c.f, got, c.want)
		}
		back, err := decodeFilter(c.f.Encode())
		if err != nil || back.match(s) != c.want {
			t.Errorf("%+v after encoding: %+v %v", c.f, back, err)
		}
	}
	if _, err := decodeFilter([]byte("{")); err == nil {
		t.Error("bad JSON accepted")
	}
	if _, err := decodeFilter(make([]byte, maxFilter+1)); err == nil {
		t.Error("oversized filter accepted")
	}
}

func FuzzDecodeBatch(f *testing.F) {
	s := slot{id: 1, size: 3, hlen: 3, tlen: 4}
	copy(s.head[:], "abc")
	copy(s.transport[:], "unix")
	f.Add(appendSlot(appendBatchHeader(nil, 0, 1), &s))
	f.Add(appendBatchHeader(nil, 5, 0))
	f.Add([]byte("SPY\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, _, err := DecodeBatch(b)
		if err != nil {
			return
		}
		for _, r := range recs {
			if len(r.Head) > HeadSize || len(r.Head) > r.Size || len(r.Transport) > maxTransport {
				t.Fatalf("decoded an impossible record: %+v", r)
			}
		}
	})
}
