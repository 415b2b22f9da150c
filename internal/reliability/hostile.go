package reliability

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// allocBound is the bound on what an oversized frame may cost the
// endpoint: rejected after its header, with less than this allocated.
const allocBound = 64 << 10

var _ = add("OversizeRejectedAfterHeader", func(t *testing.T, s *suite) {
	if s.Raw == nil {
		t.Skip("the transport has no byte stream to send a forged header on")
	}
	conns := pick(s.level, 100, 300, 1000)
	limit := uint32(driver.DefaultMaxSize)
	lengths := []uint32{limit + 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF}
	fg := s.record(t, "endpoint in this process, default MaxSize %s: %d connections each send one frame header with length %s; each must get goaway 'too large' with under %s allocated beyond a connection that sends a valid empty frame (runtime.MemStats.TotalAlloc, both ends in this process)",
		bytesize(int(limit)), conns, lengthsString(lengths), bytesize(allocBound))
	ep, _ := s.listen(t, postbox.HandlerFunc(echoHandler))
	valid := wire.Header{Kind: wire.KindPost, ID: 1}
	base := s.allocPerConn(t, ep, conns, valid, wire.KindCredit, transport.Code(0))
	var results []string
	var worst uint64
	for _, n := range lengths {
		h := wire.Header{Kind: wire.KindSend, ID: 1, Seq: 1, Len: n}
		per := s.allocPerConn(t, ep, conns, h, wire.KindGoaway, transport.CodeTooLarge)
		extra := per - min(per, base)
		worst = max(worst, extra)
		results = append(results, fmt.Sprintf("%#x: %s (+%s)", n, kib(per), kib(extra)))
	}
	fg.result(t, 0, "a valid connection costs %s; with the forged length %s; at most %s beyond a valid one",
		kib(base), strings.Join(results, ", "), kib(worst))
	if worst >= allocBound {
		t.Errorf("an oversized header cost %s more than a valid frame, bound %s", kib(worst), kib(allocBound))
	}
})

func lengthsString(ls []uint32) string {
	var s []string
	for _, l := range ls {
		s = append(s, fmt.Sprintf("%#x", l))
	}
	return strings.Join(s, ", ")
}

// allocPerConn opens n raw connections to ep one after another, each
// sending h (with no payload) after the handshake; it waits for a frame of
// kind want (with code, for a goaway) or, for a valid Post, the stream's
// quiet end, and returns the bytes allocated per connection in this
// process, the endpoint included.
func (s *suite) allocPerConn(t *testing.T, ep *postbox.Endpoint, n int, h wire.Header, want wire.Kind, code transport.Code) uint64 {
	t.Helper()
	one := func() {
		raw, err := s.Raw(testCtx(t), ep)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		raw.SetDeadline(time.Now().Add(10 * time.Second))
		rawHandshake(t, raw, ep.Name())
		b := make([]byte, wire.HeaderSize)
		h.Put(b)
		if h.Kind == wire.KindPost {
			// A valid frame: follow it with a sync, so the endpoint has
			// handled it when the answer comes.
			var sync [wire.HeaderSize]byte
			(&wire.Header{Kind: wire.KindSync, Seq: 1}).Put(sync[:])
			b = append(b, sync[:]...)
			want = wire.KindSyncAck
		}
		if _, err := raw.Write(b); err != nil {
			t.Fatal(err)
		}
		if got, c := readUntil(t, raw, want); got != want || want == wire.KindGoaway && c != code {
			t.Fatalf("after a header of length %#x: frame %v code %d, want %v code %d", h.Len, got, c, want, code)
		}
	}
	one() // warm up pools and lazily allocated state
	base, _ := settle(measure(), 0)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		one()
	}
	settle(base, 10*time.Second)
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(n)
}

// rawHandshake performs a client handshake by hand.
func rawHandshake(t *testing.T, c io.ReadWriter, name string) {
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

// readUntil reads frames until one of kind want, and returns it with its ID.
func readUntil(t *testing.T, c io.Reader, want wire.Kind) (wire.Kind, transport.Code) {
	t.Helper()
	hb := make([]byte, wire.HeaderSize)
	for {
		if _, err := io.ReadFull(c, hb); err != nil {
			t.Fatalf("waiting for a %v frame: %v", want, err)
		}
		var h wire.Header
		if err := h.Decode(hb, 1<<20); err != nil {
			t.Fatalf("endpoint sent a bad frame: %v", err)
		}
		if _, err := io.CopyN(io.Discard, c, int64(h.Len)); err != nil {
			t.Fatal(err)
		}
		if h.Kind == want {
			return h.Kind, transport.Code(h.ID)
		}
	}
}

var _ = add("ByteASecondHandshake", func(t *testing.T, s *suite) {
	dial := s.RawHandshake
	if dial == nil {
		dial = s.Raw
	}
	if dial == nil {
		t.Skip("the transport has no byte stream to trickle on")
	}
	timeout := pick(s.level, 2*time.Second, driver.DefaultHandshakeTimeout, driver.DefaultHandshakeTimeout)
	fg := s.record(t, "a client writes a valid Hello one byte a second; HandshakeTimeout %v: the endpoint must cut it off then, without a Welcome, while another client is served", timeout)
	ep, addr := s.listen(t, postbox.HandlerFunc(echoHandler), func(lc *postbox.ListenConfig) { lc.HandshakeTimeout = timeout })
	raw, err := dial(testCtx(t), ep)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	start := time.Now()
	cut := make(chan error, 1)
	go func() {
		n, err := raw.Read(make([]byte, 64))
		if n > 0 {
			err = fmt.Errorf("got %d bytes back", n)
		}
		cut <- err
	}()
	hello := wire.AppendHello(nil, &wire.Hello{Version: wire.Version, PID: 1, MaxSize: 1 << 20, Name: ep.Name()})
	sent := 0
	good := s.dial(t, addr)
	var readErr error
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
trickle:
	for sent < len(hello) {
		if _, err := raw.Write(hello[sent : sent+1]); err != nil {
			break
		}
		sent++
		if _, err := good.Send(testCtx(t), postbox.Message{ID: idEcho}); err != nil {
			t.Fatalf("another client while one trickles: %v", err)
		}
		select {
		case readErr = <-cut:
			break trickle
		case <-tick.C:
		}
	}
	if sent == len(hello) {
		t.Fatalf("the whole %d-byte Hello went through, a byte a second, without the endpoint cutting it off", len(hello))
	}
	if readErr == nil {
		select {
		case readErr = <-cut:
		case <-time.After(timeout + 5*time.Second):
			t.Fatal("the connection was never cut")
		}
	}
	took := time.Since(start)
	fg.result(t, 0, "cut off after %s and %d of %d bytes (%v); the other client was served throughout", ms(took.Round(time.Millisecond)), sent, len(hello), readErr)
	if readErr != io.EOF && !isReset(readErr) {
		t.Errorf("the connection ended with %v, want a close (EOF)", readErr)
	}
	if took < timeout-100*time.Millisecond || took > timeout+2*time.Second {
		t.Errorf("cut off after %v, want about %v", took, timeout)
	}
})

// isReset reports a connection reset by the peer.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET)
}
