package reliability

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// loadCase is one shape of load: clients each sending sends messages of
// size bytes, one at a time.
type loadCase struct {
	clients, sends, size int
}

func (c loadCase) String() string {
	return fmt.Sprintf("%d clients × %s Sends of %s", c.clients, count(c.sends), bytesize(c.size))
}

// loadTally is what the senders saw.
type loadTally struct {
	ok, lost, mismatched atomic.Int64
	firstErr             atomic.Value
	mu                   sync.Mutex
	lat                  []time.Duration
}

var _ = add("ZeroLossUnderLoad", func(t *testing.T, s *suite) {
	sends := s.count(300, 10_000, 30_000)
	big := s.count(10, 100, 300)
	for _, lc := range []loadCase{{64, sends, 0}, {64, sends, 64}, {64, sends, 4 << 10}, {8, big, 1 << 20}} {
		t.Run(bytesize(lc.size), func(t *testing.T) { s.load(t, lc) })
	}
})

func (s *suite) load(t *testing.T, lc loadCase) {
	fg := s.record(t, "%v, each reply checked against its request (client, sequence, CRC-32 of the payload, echoed payload)", lc)
	rx := s.receiver(t, rxConfig{})
	var tally loadTally
	conns := make([]*postbox.Conn, lc.clients)
	for i := range conns {
		conns[i] = s.dial(t, rx.addr)
	}
	if max := conns[0].MaxSize() - 16; lc.size > max {
		// A transport with a smaller limit (NATS: its server's maximum
		// payload, less headers) gets its largest, less the reply's tag.
		t.Logf("the transport carries at most %d bytes: sending %d", max+16, max)
		lc.size = max
		fg.note(fmt.Sprintf(" (here %s bytes: the transport's maximum less the reply's 16-byte tag)", count(max)))
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() { sendLoad(testCtx(t), c, int64(i), lc, &tally) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	st, err := fetchStats(testCtx(t), conns[0], false)
	if err != nil {
		t.Fatalf("receiver's counters: %v", err)
	}
	want := int64(lc.clients * lc.sends)
	slices.Sort(tally.lat)
	lost := tally.lost.Load() + tally.mismatched.Load() + st.Duplicates + (want - st.Sends)
	fg.result(t, lost, "%s replies matched; %d lost, %d duplicated, %d mismatched; receiver handled %s; %s Sends/s, latency p50 %s p99 %s",
		count(int(tally.ok.Load())), tally.lost.Load(), st.Duplicates, tally.mismatched.Load(), count(int(st.Sends)),
		count(int(float64(want)/elapsed.Seconds())), ms(percentile(tally.lat, 50)), ms(percentile(tally.lat, 99)))
	if err, _ := tally.firstErr.Load().(error); err != nil {
		t.Errorf("first failure: %v", err)
	}
	if tally.ok.Load() != want || st.Sends != want || st.Duplicates != 0 {
		t.Fatalf("%d of %d Sends answered correctly; the receiver handled %d, %d twice", tally.ok.Load(), want, st.Sends, st.Duplicates)
	}
}

// sendLoad is one client: sends messages one after another, each with a
// payload unique to (client, seq), and checks every reply.
func sendLoad(ctx context.Context, c *postbox.Conn, client int64, lc loadCase, tally *loadTally) {
	payload := make([]byte, lc.size)
	rng := rand.NewChaCha8([32]byte{byte(client), byte(client >> 8)})
	rng.Read(payload)
	lat := make([]time.Duration, 0, lc.sends)
	defer func() {
		tally.mu.Lock()
		tally.lat = append(tally.lat, lat...)
		tally.mu.Unlock()
	}()
	for seq := range int64(lc.sends) {
		stamp(payload, client, seq)
		t0 := time.Now()
		rep, err := c.Send(ctx, postbox.Message{ID: idLoad, W: client, L: seq, Data: payload})
		lat = append(lat, time.Since(t0))
		if err != nil {
			tally.lost.Add(1)
			tally.firstErr.CompareAndSwap(nil, fmt.Errorf("client %d seq %d: %w", client, seq, err))
			continue
		}
		if err := checkLoadReply(rep, client, seq, payload); err != nil {
			tally.mismatched.Add(1)
			tally.firstErr.CompareAndSwap(nil, err)
			continue
		}
		tally.ok.Add(1)
	}
}

// stamp writes (client, seq) into the payload's first bytes, so that every
// message's content, and CRC, is its own.
func stamp(p []byte, client, seq int64) {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:], uint64(client))
	binary.LittleEndian.PutUint64(b[8:], uint64(seq))
	copy(p, b[:])
}

func checkLoadReply(rep postbox.Reply, client, seq int64, payload []byte) error {
	switch {
	case len(rep.Data) != 16+len(payload):
		return fmt.Errorf("client %d seq %d: reply of %d bytes, want %d", client, seq, len(rep.Data), 16+len(payload))
	case int64(binary.LittleEndian.Uint64(rep.Data)) != client || int64(binary.LittleEndian.Uint64(rep.Data[8:])) != seq:
		return fmt.Errorf("client %d seq %d: got the reply of client %d seq %d", client, seq,
			binary.LittleEndian.Uint64(rep.Data), binary.LittleEndian.Uint64(rep.Data[8:]))
	case rep.Result != int64(crc32.ChecksumIEEE(payload)):
		return fmt.Errorf("client %d seq %d: receiver's CRC %08x, sender's %08x", client, seq, rep.Result, crc32.ChecksumIEEE(payload))
	case !bytes.Equal(rep.Data[16:], payload):
		return fmt.Errorf("client %d seq %d: echoed payload differs", client, seq)
	}
	return nil
}

// count formats n with thousands separators.
func count(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// bytesize formats a payload size.
func bytesize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
