package reliability

import (
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// allocBound is the promised bound on what an oversized frame may cost the
// endpoint: rejected after its header, with less than this allocated.
const allocBound = 64 << 10

var _ = add("OversizeRejectedAfterHeader", func(t *testing.T, s *suite) {
	if s.Raw == nil {
		t.Skip("the transport has no byte stream to send a forged header on")
	}
	conns := s.count(50, 200, 1000)
	limit := uint32(driver.DefaultMaxSize)
	lengths := []uint32{limit + 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF}
	fg := s.record(t, "endpoint in this process, default MaxSize %s: for each forged length %s, %d connections send a frame header claiming it, alternating with %d that send a valid empty frame; each forged one must get goaway 'too large', and cost under %s more than a valid one (runtime.MemStats.TotalAlloc, both ends in this process)",
		bytesize(int(limit)), lengthsString(lengths), conns, conns, bytesize(allocBound))
	ep, _ := s.listen(t, postbox.HandlerFunc(echoHandler))
	valid := wire.Header{Kind: wire.KindPost, ID: 1}
	s.rawExchange(t, ep, valid) // warm up pools and lazily allocated state
	var results []string
	worst := int64(math.MinInt64)
	var base uint64
	for _, n := range lengths {
		forged := wire.Header{Kind: wire.KindSend, ID: 1, Seq: 1, Len: n}
		good, bad := s.allocPairs(t, ep, conns, valid, forged)
		base = good
		extra := int64(bad) - int64(good)
		worst = max(worst, extra)
		results = append(results, fmt.Sprintf("%#x: %s (%+d KiB)", n, kib(bad), extra/1024))
	}
	fg.result(t, 0, "a valid connection costs about %s; with the forged length %s; at most %+d KiB against a valid one",
		kib(base), strings.Join(results, ", "), worst/1024)
	if worst >= allocBound {
		t.Errorf("an oversized header cost %d KiB more than a valid frame, bound %s", worst/1024, kib(allocBound))
	}
})

func lengthsString(ls []uint32) string {
	var s []string
	for _, l := range ls {
		s = append(s, fmt.Sprintf("%#x", l))
	}
	return strings.Join(s, ", ")
}

// allocPairs opens n pairs of raw connections to ep, one sending a valid
// frame, one a forged header, alternately, so that any drift in what a
// connection costs (a transport's lookups growing with the sockets left in
// TIME_WAIT, say) falls on both alike. It returns the bytes allocated in
// this process, the endpoint included, per valid and per forged connection.
func (s *suite) allocPairs(t *testing.T, ep *postbox.Endpoint, n int, valid, forged wire.Header) (good, bad uint64) {
	t.Helper()
	base, _ := settle(measure(), 0)
	var ms runtime.MemStats
	var sumGood, sumBad uint64
	for range n {
		for _, h := range []wire.Header{valid, forged} {
			runtime.ReadMemStats(&ms)
			before := ms.TotalAlloc
			s.rawExchange(t, ep, h)
			settle(base, 10*time.Second)
			runtime.ReadMemStats(&ms)
			if h == valid {
				sumGood += ms.TotalAlloc - before
			} else {
				sumBad += ms.TotalAlloc - before
			}
		}
	}
	return sumGood / uint64(n), sumBad / uint64(n)
}

// rawExchange opens a raw connection to ep, handshakes, sends h (with no
// payload) and waits for the endpoint's reaction: a goaway "too large" for
// an oversized header, a SyncAck for a valid Post followed by a Sync.
func (s *suite) rawExchange(t *testing.T, ep *postbox.Endpoint, h wire.Header) {
	t.Helper()
	raw, err := s.Raw(testCtx(t), ep)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	rawHandshake(t, raw, ep.Name())
	b := make([]byte, wire.HeaderSize)
	h.Put(b)
	want, code := wire.KindGoaway, transport.CodeTooLarge
	if h.Kind == wire.KindPost {
		var sync [wire.HeaderSize]byte
		(&wire.Header{Kind: wire.KindSync, Seq: 1}).Put(sync[:])
		b = append(b, sync[:]...)
		want, code = wire.KindSyncAck, 0
	}
	if _, err := raw.Write(b); err != nil {
		t.Fatal(err)
	}
	if got, c := readUntil(t, raw, want); got != want || want == wire.KindGoaway && c != code {
		t.Fatalf("after a header of length %#x: frame %v code %d, want %v code %d", h.Len, got, c, want, code)
	}
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
	dial := s.rawBeforeHello(t, "trickle on")
	timeout := pick(s.level, 2*time.Second, driver.DefaultHandshakeTimeout, driver.DefaultHandshakeTimeout)
	fg := s.record(t, "a client writes a valid Hello one byte a second; HandshakeTimeout %v: the endpoint must cut it off then, without a Welcome, while another client is served", timeout)
	ep, addr := s.listen(t, postbox.HandlerFunc(echoHandler), func(lc *postbox.ListenConfig) { lc.HandshakeTimeout = timeout })
	raw, err := dial(testCtx(t), ep)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	start := time.Now()
	hello := wire.AppendHello(nil, &wire.Hello{Version: wire.Version, PID: 1, MaxSize: 1 << 20, Name: ep.Name()})
	sent, readErr := trickle(t, raw, hello, timeout+5*time.Second, s.dial(t, addr))
	took := time.Since(start)
	fg.result(t, 0, "cut off after %s and %d of %d bytes (%v); the other client was served throughout", ms(took.Round(time.Millisecond)), sent, len(hello), readErr)
	if readErr == nil || os.IsTimeout(readErr) {
		t.Errorf("the connection ended with %v, want it closed", readErr)
	}
	if took < timeout-100*time.Millisecond || took > timeout+2*time.Second {
		t.Errorf("cut off after %v, want about %v", took, timeout)
	}
})

// trickle writes msg to raw a byte a second, while good keeps being
// answered, until the endpoint ends the connection (within wait of the
// start). It returns the bytes sent and how the connection ended.
func trickle(t *testing.T, raw net.Conn, msg []byte, wait time.Duration, good *postbox.Conn) (int, error) {
	t.Helper()
	cut := make(chan error, 1)
	go func() {
		n, err := raw.Read(make([]byte, 64))
		if n > 0 {
			err = fmt.Errorf("got %d bytes back", n)
		}
		cut <- err
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	giveUp := time.After(wait)
	sent := 0
	for {
		if sent < len(msg) {
			if _, err := raw.Write(msg[sent : sent+1]); err == nil {
				sent++
			}
			if _, err := good.Send(testCtx(t), postbox.Message{ID: idEcho}); err != nil {
				t.Fatalf("another client while one trickles: %v", err)
			}
		} else {
			t.Fatalf("the whole %d-byte message went through, a byte a second, without the endpoint cutting it off", len(msg))
		}
		select {
		case err := <-cut:
			return sent, err
		case <-giveUp:
			t.Fatal("the connection was never cut")
		case <-tick.C:
		}
	}
}
