package reliability

import (
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// Peers that misbehave on purpose: they pipeline Sends and never read the
// answers, leave frames unfinished, flood the endpoint with bare connects
// or with connect/close cycles. Throughout, a well-behaved client is
// checked on every reply; afterwards the memory held must be back to none.

// connBound is the promised bound on what one connection holds (see
// docs/PROTOCOL.md, "Memory"): its queue, the answers it leaves unread,
// a message in transit each way, and the buffers.
func connBound(queueBytes int64, maxSize int) int64 {
	return 3*queueBytes + 2*int64(maxSize) + 2*driver.DefaultQueueLen*wire.HeaderSize + 320<<10
}

var _ = add("NonReadingPipeliner", func(t *testing.T, s *suite) { s.pipeliners(t, 1) })

var _ = add("NonReadingPipeliners8", func(t *testing.T, s *suite) { s.pipeliners(t, 8) })

// pipeliners has n raw clients pipeline Sends of size bytes as fast as the
// endpoint takes them and never read a reply.
func (s *suite) pipeliners(t *testing.T, n int) {
	if s.Raw == nil {
		t.Skip("the transport has no byte stream to pipeline raw frames on")
	}
	size := pick(s.level, 256<<10, 1<<20, 1<<20)
	queue := pick(s.level, int64(4<<20), int64(64<<20), int64(64<<20))
	budget := int64(-1)
	if n > 1 {
		budget = 2 * queue
	}
	bound := connBound(queue, size)
	promise := mib(uint64(bound))
	if budget > 0 {
		// The budget bounds the connections still served, to within the
		// message that passes it; those it has ended give theirs back as
		// they close (docs/PROTOCOL.md, "Memory").
		promise = fmt.Sprintf("%s plus %s for each connection it ended", mib(uint64(budget+int64(size))), promise)
	}
	fg := s.record(t, "%d raw client(s) pipeline %s Sends of an echo and never read; QueueBytes %s, MaxMemory %s; the endpoint must end them (per-connection bound or budget) holding at most %s, while another client is answered on every Send; then everything it held must be released",
		n, bytesize(size), bytesize(int(queue)), budgetString(budget), promise)
	ep, addr := s.listen(t, postbox.HandlerFunc(echoHandler), func(lc *postbox.ListenConfig) {
		lc.QueueBytes, lc.MaxSize, lc.MaxMemory = queue, size, budget
	})
	good := s.dial(t, addr)
	base := rssNow()
	resetPeakRSS()
	var wg sync.WaitGroup
	var raws closers
	defer raws.close()
	ends := make([]string, n)
	var sent atomic.Int64
	for i := range n {
		raw, err := s.Raw(testCtx(t), ep)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw)
		raw.SetDeadline(time.Now().Add(2 * time.Minute))
		rawHandshake(t, raw, ep.Name())
		wg.Add(1)
		go func() {
			defer wg.Done()
			ends[i] = pipeline(raw, size, &sent)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	answered := s.keepAnswering(t, good, done)
	held := ep.Stats()
	if budget > 0 {
		bound = budget + int64(size) + int64(held.Errors["memory"])*bound
	}
	peakRSS := peakRSS()
	raws.close() // the clients' side too: a shared-memory ring stays mapped while either side has it
	settled := s.released(t, ep)
	fg.result(t, 0, "%s Sends written before the endpoint ended the clients (%s); endpoint held at most %s (bound %s), RSS %s before, peak %s, %s once released; %s ended for the budget; the other client got %d answers, every one right",
		count(int(sent.Load())), summarize(ends), mib(uint64(held.HeldPeak)), mib(uint64(bound)), mib(base), mib(peakRSS), mib(settled), count(int(held.Errors["memory"])), answered)
	if held.HeldPeak > bound {
		t.Errorf("the endpoint held %d bytes, bound %d", held.HeldPeak, bound)
	}
	if budget > 0 && held.Errors["memory"] == 0 {
		t.Errorf("%d pipeliners over a budget of %d: none was ended for it", n, budget)
	}
}

// pipeline writes Send frames to raw until the endpoint ends the
// connection, and says how it ended.
func pipeline(raw net.Conn, size int, sent *atomic.Int64) string {
	frame := make([]byte, wire.HeaderSize+size)
	for seq := uint64(1); ; seq++ {
		(&wire.Header{Kind: wire.KindSend, ID: uint32(idEcho), Seq: seq, Len: uint32(size)}).Put(frame)
		if _, err := raw.Write(frame); err != nil {
			return endOf(err)
		}
		sent.Add(1)
	}
}

// endOf names how a connection ended, briefly, for the figures.
func endOf(err error) string {
	switch {
	case os.IsTimeout(err):
		return "timed out"
	case strings.Contains(err.Error(), "broken pipe"), strings.Contains(err.Error(), "reset"), strings.Contains(err.Error(), "closed"):
		return "closed"
	}
	return err.Error()
}

// summarize counts equal strings: "8× closed".
func summarize(ss []string) string {
	n := map[string]int{}
	var order []string
	for _, s := range ss {
		if n[s] == 0 {
			order = append(order, s)
		}
		n[s]++
	}
	var out []string
	for _, s := range order {
		out = append(out, fmt.Sprintf("%d× %s", n[s], s))
	}
	return strings.Join(out, ", ")
}

// keepAnswering sends to good until done is closed, checking every reply,
// and returns how many it got.
func (s *suite) keepAnswering(t *testing.T, good *postbox.Conn, done <-chan struct{}) int {
	t.Helper()
	var n int
	timeout := time.After(3 * time.Minute)
	for {
		select {
		case <-done:
			return n
		case <-timeout:
			t.Fatal("the misbehaving clients were not ended within 3 minutes")
		default:
		}
		data := []byte(strconv.Itoa(n))
		rep, err := good.Send(testCtx(t), postbox.Message{ID: idEcho, L: int64(n), Data: data})
		if err != nil || rep.Result != int64(n) || string(rep.Data) != string(data) {
			t.Fatalf("the well-behaved client's Send %d: %v (reply %d %q)", n, err, rep.Result, rep.Data)
		}
		n++
		time.Sleep(time.Millisecond)
	}
}

// closers closes what the misbehaving clients opened, once.
type closers []io.Closer

func (cs *closers) close() {
	for _, c := range *cs {
		c.Close()
	}
	*cs = nil
}

// released waits until the endpoint holds nothing, and returns this
// process's RSS a moment later (the runtime returns freed memory to the
// OS in the background).
func (s *suite) released(t *testing.T, ep *postbox.Endpoint) uint64 {
	t.Helper()
	waitFor(t, 30*time.Second, func() bool { return ep.Stats().Held == 0 }, "the endpoint to release what it held (now %d bytes)", ep.Stats().Held)
	runtime.GC()
	time.Sleep(pick(s.level, 500*time.Millisecond, 3*time.Second, 10*time.Second))
	return rssNow()
}

var _ = add("PartialFrames", func(t *testing.T, s *suite) {
	if s.Raw == nil {
		t.Skip("the transport has no byte stream to leave a frame unfinished on")
	}
	n := s.count(50, 1000, 1000)
	part := pick(s.level, 256<<10, 1<<20, 1<<20)
	timeout := pick(s.level, 500*time.Millisecond, 2*time.Second, 10*time.Second)
	fg := s.record(t, "%s raw connections each announce a 16 MiB Post and send %s of it, then nothing; FrameTimeout %v, default MaxMemory: each must be ended with a goaway (stalled, or for the budget) while another client is answered on every Send; then everything held must be released",
		count(n), bytesize(part), timeout)
	ep, addr := s.listen(t, postbox.HandlerFunc(echoHandler), func(lc *postbox.ListenConfig) { lc.FrameTimeout = timeout })
	good := s.dial(t, addr)
	base := rssNow()
	resetPeakRSS()
	start := time.Now()
	frame := make([]byte, wire.HeaderSize+part)
	(&wire.Header{Kind: wire.KindPost, ID: uint32(idEcho), Len: 16 << 20}).Put(frame)
	var wg sync.WaitGroup
	var raws closers
	defer raws.close()
	var goaways, others atomic.Int64
	var worst atomic.Int64
	for range n {
		raw, err := s.Raw(testCtx(t), ep)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw)
		raw.SetDeadline(time.Now().Add(2 * time.Minute))
		rawHandshake(t, raw, ep.Name())
		// A write that fails means the budget ended the connection before
		// the rest came: its goaway must be there to read all the same.
		_, _ = raw.Write(frame)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if kind, _ := readGoaway(raw); kind == wire.KindGoaway { // a pipe ends with an error, not EOF
				goaways.Add(1)
			} else {
				others.Add(1)
			}
			if d := int64(time.Since(start)); d > worst.Load() {
				worst.Store(d)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	answered := s.keepAnswering(t, good, done)
	st := ep.Stats()
	peak := peakRSS()
	raws.close() // the clients' side too: a shared-memory ring stays mapped while either side has it
	settled := s.released(t, ep)
	fg.result(t, 0, "%d ended with a goaway (%d stalled, %d for the budget), %d otherwise, the last %s after the start; endpoint held at most %s, RSS %s before, peak %s, %s once released; the other client got %d answers, every one right",
		goaways.Load(), st.Errors["stalled"], st.Errors["memory"], others.Load(), ms(time.Duration(worst.Load())), mib(uint64(st.HeldPeak)), mib(base), mib(peak), mib(settled), answered)
	if int(goaways.Load()) != n || int(st.Errors["stalled"]+st.Errors["memory"]) != n {
		t.Errorf("%d of %d partial frames ended with a goaway; %d stalled, %d for the budget", goaways.Load(), n, st.Errors["stalled"], st.Errors["memory"])
	}
})

// readGoaway reads frames until the connection's last: the kind of the
// last frame read, and how the stream ended.
func readGoaway(c io.Reader) (wire.Kind, error) {
	hb := make([]byte, wire.HeaderSize)
	var last wire.Kind
	for {
		if _, err := io.ReadFull(c, hb); err != nil {
			if err == io.EOF {
				err = nil
			}
			return last, err
		}
		var h wire.Header
		if err := h.Decode(hb, 1<<20); err != nil {
			return last, err
		}
		if _, err := io.CopyN(io.Discard, c, int64(h.Len)); err != nil {
			return last, err
		}
		last = h.Kind
	}
}

var _ = add("BareConnectFloodRepeated", func(t *testing.T, s *suite) {
	raw := s.rawBeforeHello(t, "open bare connections with")
	rounds, n := s.count(3, 5, 20), s.count(300, 1000, 2000)
	fg := s.record(t, "%d rounds, %s apart, of %s bare connects that never send a byte (default MaxHandshakes 64, MaxConns 1,024); an admitted client must be answered on every Send throughout, and a new client must be admitted after every round",
		rounds, ms(time.Second), count(n))
	ep, addr := s.listen(t, postbox.HandlerFunc(echoHandler))
	good := s.dial(t, addr)
	var admitted, answered int
	for round := range rounds {
		flood := make([]net.Conn, 0, n)
		for range n {
			c, err := raw(testCtx(t), ep)
			if err != nil {
				break // the kernel's backlog is full: the flood is as big as it gets
			}
			flood = append(flood, c)
			if len(flood)%50 == 0 {
				if _, err := good.Send(testCtx(t), postbox.Message{ID: idEcho}); err != nil {
					t.Fatalf("round %d: the admitted client during the flood: %v", round, err)
				}
				answered++
			}
		}
		c, err := s.dialer().Dial(testCtx(t), addr)
		if err != nil {
			t.Fatalf("round %d: a new client beside %d bare connects: %v", round, len(flood), err)
		}
		if _, err := c.Send(testCtx(t), postbox.Message{ID: idEcho}); err != nil {
			t.Fatalf("round %d: the new client: %v", round, err)
		}
		c.Close()
		admitted++
		time.Sleep(time.Second)
		for _, c := range flood {
			c.Close()
		}
	}
	st := ep.Stats()
	fg.result(t, 0, "%d of %d new clients admitted after a round, the admitted one answered %d times, every one right; %s bare connects displaced or refused (Errors[busy])",
		admitted, rounds, answered, count(int(st.Errors["busy"])))
})

var _ = add("ConnectCloseCycles", func(t *testing.T, s *suite) {
	n := s.count(1000, 10000, 30000)
	fg := s.record(t, "%s Dial/Close cycles, one after another, while another client is answered every 100 cycles; descriptors, goroutines and the endpoint's memory must come back to their baseline", count(n))
	ep, addr := s.listen(t, postbox.HandlerFunc(echoHandler))
	// The baseline is the endpoint with no connection, after whatever a
	// first connection and Send start lazily. The good client is closed
	// before the final count: its server side may legitimately hold one
	// goroutine more than at the start (a reader handed on by a handler that
	// ran past the inline grace, beside the goroutine that owns the
	// connection's end), which is not a leak of the cycles.
	pre := measure()
	warm := s.dial(t, addr)
	if _, err := warm.Send(testCtx(t), postbox.Message{ID: idEcho}); err != nil {
		t.Fatal(err)
	}
	warm.Close()
	base, _ := settle(pre, 5*time.Second) // what a closed connection ends, gone

	good := s.dial(t, addr)
	rss0 := rssNow()
	ctx := testCtx(t) // one for the loop: a context per cycle would be the test's own heap growth
	start := time.Now()
	for i := range n {
		c, err := s.dialer().Dial(ctx, addr)
		if err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		c.Close()
		if i%100 == 0 {
			if _, err := good.Send(ctx, postbox.Message{ID: idEcho, L: int64(i)}); err != nil {
				t.Fatalf("the other client at cycle %d: %v", i, err)
			}
		}
	}
	took := time.Since(start)
	good.Close()
	after, ok := settle(base, 30*time.Second)
	held := ep.Stats().Held
	fg.result(t, 0, "%s cycles in %s (%.0f/s); before: %s, RSS %s; after: %s, RSS %s; endpoint holds %d bytes",
		count(n), ms(took.Round(time.Millisecond)), float64(n)/took.Seconds(), base, mib(rss0), after, mib(rssNow()), held)
	// The heap after two collections: a few allocator pages of slack, no
	// more; a connection that left anything behind would add up over the cycles.
	const heapSlack = 4 << 20
	if !ok || held != 0 || after.heap > base.heap+heapSlack {
		t.Errorf("not back to the baseline: %s (was %s), endpoint holds %d bytes; goroutines:\n%s", after, base, held, goroutines())
	}
})

func budgetString(b int64) string {
	if b < 0 {
		return "none"
	}
	return bytesize(int(b))
}

func mib(n uint64) string {
	if n == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

// rssNow is this process's resident set, in bytes; 0 where unknown.
func rssNow() uint64 { return procStatus("VmRSS:") }

// peakRSS is the most this process held resident since resetPeakRSS.
func peakRSS() uint64 { return procStatus("VmHWM:") }

// resetPeakRSS starts a new peak (Linux: clear_refs 5).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func procStatus(key string) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == key {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
