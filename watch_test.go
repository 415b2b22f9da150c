package postbox_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/postbox-ipc/postbox"
)

// noLeaks checks, when the test ends, that it left no goroutine behind:
// every Close waited for what it started.
func noLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// waitUntil polls cond until it holds, failing the test after 10s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// outcomes answers by ID: 1 ok with the data echoed, 2 an error, 3 a panic.
var outcomes = postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
	switch m.ID {
	case 2:
		return postbox.Reply{}, errors.New("refused by the handler")
	case 3:
		panic("boom")
	}
	return postbox.Reply{Result: m.W, Data: m.Data}, nil
})

func TestStatsCountEveryOutcome(t *testing.T) {
	noLeaks(t)
	ep, err := postbox.Listen("stats-a", outcomes)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	ctx := ctxT(t)
	c, err := postbox.Dial(ctx, "unix:stats-a")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := c.Send(ctx, postbox.Message{ID: 1, Data: []byte("hello")}); err != nil {
			t.Fatal(err)
		}
	}
	c.Send(ctx, postbox.Message{ID: 2})
	c.Send(ctx, postbox.Message{ID: 3})
	for range 4 {
		if err := c.Post(ctx, postbox.Message{ID: 1, Data: []byte("xy")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "9 messages handled", func() bool { return ep.Stats().Handled == 9 })

	st := ep.Stats()
	if st.Name != "stats-a" || st.PID != os.Getpid() || st.Sends != 5 || st.Posts != 4 {
		t.Fatalf("name %q pid %d sends %d posts %d, want stats-a, %d, 5, 4", st.Name, st.PID, st.Sends, st.Posts, os.Getpid())
	}
	// A posted message's reply goes nowhere, so only the Sends' count.
	if st.BytesIn != 3*5+4*2 || st.BytesOut != 3*5 {
		t.Errorf("bytes in %d out %d, want 23 and 15", st.BytesIn, st.BytesOut)
	}
	if st.Errors["handler"] != 1 || st.Errors["panic"] != 1 || st.ErrorCount() != 2 {
		t.Errorf("errors %v, want one handler error and one panic", st.Errors)
	}
	if st.Latency.Count() != 9 || st.Latency.Sum <= 0 || st.Latency.Quantile(0.5) <= 0 {
		t.Errorf("latency: count %d sum %v p50 %v", st.Latency.Count(), st.Latency.Sum, st.Latency.Quantile(0.5))
	}
	if len(st.Conns) != 1 || st.ConnsTotal != 1 {
		t.Fatalf("%d open connections of %d, want 1 of 1", len(st.Conns), st.ConnsTotal)
	}
	cs := st.Conns[0]
	if cs.Peer.PID != os.Getpid() || cs.Peer.UID != os.Geteuid() || cs.Peer.Transport != "unix" || cs.Handled != 9 || cs.Sends != 5 {
		t.Errorf("connection %+v", cs)
	}

	// A closed connection leaves the list but stays in the totals.
	c.Close()
	waitUntil(t, "the connection to close", func() bool { return len(ep.Stats().Conns) == 0 })
	if st := ep.Stats(); st.Handled != 9 || st.Sends != 5 || st.Posts != 4 || st.Errors["panic"] != 1 {
		t.Fatalf("totals after the connection closed: %+v", st.Counts)
	}
}

func TestStatsQueueDepth(t *testing.T) {
	noLeaks(t)
	release := make(chan struct{})
	ep, err := postbox.Listen("stats-q", postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
		<-release
		return postbox.Reply{}, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	ctx := ctxT(t)
	c, err := postbox.Dial(ctx, "unix:stats-q")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 5 {
		c.Post(ctx, postbox.Message{ID: postbox.User})
	}
	c.Flush(ctx)
	waitUntil(t, "one running and four queued", func() bool {
		st := ep.Stats()
		return st.Running == 1 && st.Queued == 4
	})
	if cs := ep.Stats().Conns; len(cs) != 1 || cs[0].Queued != 4 || cs[0].QueuePeak < 4 {
		t.Fatalf("connection queue: %+v", cs)
	}
	close(release)
	waitUntil(t, "the queue to empty", func() bool {
		st := ep.Stats()
		return st.Queued == 0 && st.Running == 0 && st.Handled == 5
	})
}

func TestConnectHooks(t *testing.T) {
	noLeaks(t)
	var mu sync.Mutex
	var events []string
	lc := postbox.ListenConfig{
		OnConnect: func(p postbox.Peer) {
			mu.Lock()
			events = append(events, fmt.Sprintf("connect %s %d", p.Transport, p.PID))
			mu.Unlock()
		},
		OnDisconnect: func(p postbox.Peer) {
			mu.Lock()
			events = append(events, fmt.Sprintf("disconnect %s %d", p.Transport, p.PID))
			mu.Unlock()
		},
	}
	ep, err := lc.Listen(ctxT(t), "hooks", reply("hi"))
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	// The server sees a Unix connection end a moment after the client
	// closed it, so each connection's pair is awaited before the next.
	for i, addr := range []string{"unix:hooks", "inproc:hooks"} {
		if _, err := postbox.Send(ctxT(t), addr, postbox.Message{}); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "a connect and a disconnect", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(events) == 2*(i+1)
		})
	}
	pid := strconv.Itoa(os.Getpid())
	want := []string{"connect unix " + pid, "disconnect unix " + pid, "connect inproc " + pid, "disconnect inproc " + pid}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(events, "; ") != strings.Join(want, "; ") {
		t.Fatalf("hooks saw %q, want %q", events, want)
	}
}

// promLine is one sample of the Prometheus text format.
var promLine = regexp.MustCompile(`^(postbox_[a-z_]+)\{endpoint="([^"]*)"(,[a-z_]+="[^"]*")*\} (\S+)$`)

func TestPrometheus(t *testing.T) {
	ep, err := postbox.Listen("prom", outcomes)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	ctx := ctxT(t)
	c, err := postbox.Dial(ctx, "unix:prom")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 3 {
		c.Send(ctx, postbox.Message{ID: 1, Data: []byte("abc")})
	}
	c.Send(ctx, postbox.Message{ID: 2})

	// Through the method, and through the reserved message, the same
	// format.
	var buf bytes.Buffer
	if err := ep.WritePrometheus(&buf); err != nil {
		t.Fatal(err)
	}
	rep, err := c.Send(ctx, postbox.Message{ID: postbox.MetricsID})
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"WritePrometheus": buf.String(), "MetricsID": string(rep.Data)} {
		samples := parseProm(t, name, text)
		for key, want := range map[string]float64{
			`postbox_messages_received_total,kind="send"`: 4,
			`postbox_messages_handled_total`:              4,
			`postbox_errors_total,kind="handler"`:         1,
			`postbox_bytes_total,direction="in"`:          9,
			`postbox_handling_seconds_count`:              4,
			`postbox_handling_seconds_bucket,le="+Inf"`:   4,
			`postbox_connections`:                         1,
			`postbox_queue_depth`:                         0,
		} {
			if got, ok := samples[key]; !ok || got != want {
				t.Errorf("%s: %s = %v (present %v), want %v", name, key, got, ok, want)
			}
		}
	}
}

// parseProm checks every line of a Prometheus exposition and returns the
// samples keyed by name and labels (without the endpoint label). Histogram
// buckets must never decrease.
func parseProm(t *testing.T, name, text string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	prev := -1.0
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
			continue
		}
		m := promLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("%s: not a Prometheus sample: %q", name, line)
		}
		v, err := strconv.ParseFloat(m[4], 64)
		if err != nil {
			t.Fatalf("%s: bad value in %q", name, line)
		}
		labels := line[strings.Index(line, "{")+1 : strings.Index(line, "}")]
		_, rest, _ := strings.Cut(labels, ",")
		key := m[1]
		if rest != "" && !strings.HasPrefix(rest, "endpoint=") {
			key += "," + rest
		}
		out[key] = v
		if m[1] == "postbox_handling_seconds_bucket" {
			if v < prev {
				t.Fatalf("%s: histogram buckets decrease at %q", name, line)
			}
			prev = v
		}
	}
	return out
}

func TestSpy(t *testing.T) {
	noLeaks(t)
	ep, err := postbox.Listen("spied", outcomes)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	ctx := ctxT(t)
	watcher, err := postbox.Dial(ctx, "unix:spied")
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	spy := watcher.Spy(postbox.SpyFilter{IDs: []uint32{1, 2}})
	if recs, dropped, err := spy.Next(ctx); err != nil || len(recs) != 0 || dropped != 0 {
		t.Fatalf("first Next: %d records, %d dropped, %v", len(recs), dropped, err)
	}
	if ep.Stats().Spies != 1 {
		t.Fatal("the spy is not counted")
	}

	c, err := postbox.Dial(ctx, "unix:spied")
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 100)
	c.Send(ctx, postbox.Message{ID: 1, W: 7, L: -3, Data: []byte(long)})
	c.Send(ctx, postbox.Message{ID: 9, Data: []byte("filtered out")})
	c.Send(ctx, postbox.Message{ID: 2})
	c.Post(ctx, postbox.Message{ID: 1, Data: []byte("posted")})
	c.Flush(ctx)

	var recs []postbox.SpyRecord
	waitUntil(t, "three records", func() bool {
		r, _, err := spy.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r...)
		return len(recs) >= 3
	})
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3: %+v", len(recs), recs)
	}
	r := recs[0]
	if r.ID != 1 || r.W != 7 || r.L != -3 || !r.Send || r.Size != 100 || string(r.Head) != long[:postbox.SpyHeadSize] ||
		r.PID != os.Getpid() || r.UID != os.Geteuid() || r.Transport != "unix" || r.Result != 7 || r.ReplySize != 100 || r.Err != "" {
		t.Errorf("first record: %+v", r)
	}
	if time.Since(r.Time) > time.Minute || r.Time.After(time.Now()) || r.Took <= 0 {
		t.Errorf("first record's time %v took %v", r.Time, r.Took)
	}
	if recs[1].ID != 2 || recs[1].Err != "handler" {
		t.Errorf("second record: %+v", recs[1])
	}
	if recs[2].ID != 1 || recs[2].Send || string(recs[2].Head) != "posted" {
		t.Errorf("third record: %+v", recs[2])
	}
	c.Close()

	// When the spy's connection goes, so does its subscription.
	watcher.Close()
	waitUntil(t, "the spy to go", func() bool { return ep.Stats().Spies == 0 })
}

func TestSpyDropsWhenSlow(t *testing.T) {
	noLeaks(t)
	ep, err := postbox.Listen("spied-slow", outcomes)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	ctx := ctxT(t)
	watcher, _ := postbox.Dial(ctx, "inproc:spied-slow")
	defer watcher.Close()
	spy := watcher.Spy(postbox.SpyFilter{})
	if _, _, err := spy.Next(ctx); err != nil {
		t.Fatal(err)
	}
	// The spy does not poll while 3,000 messages are handled: the ring
	// keeps 2,048 and the rest are dropped and counted, and the endpoint
	// never waited.
	c, _ := postbox.Dial(ctx, "unix:spied-slow")
	defer c.Close()
	const n = 3000
	for range n {
		if err := c.Post(ctx, postbox.Message{ID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	c.Flush(ctx)
	waitUntil(t, "every post handled", func() bool { return ep.Stats().Handled == n })
	var got, dropped uint64
	for {
		recs, d, err := spy.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got += uint64(len(recs))
		dropped += d
		if len(recs) == 0 {
			break
		}
	}
	if got != 2048 || dropped != n-2048 {
		t.Fatalf("spy got %d records and %d dropped, want 2048 and %d", got, dropped, n-2048)
	}
}

func TestWatchPolicy(t *testing.T) {
	noLeaks(t)
	ep, err := (&postbox.ListenConfig{NoWatch: true}).Listen(ctxT(t), "nowatch", outcomes)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	_, err = postbox.Send(ctxT(t), "unix:nowatch", postbox.Message{ID: postbox.StatsID})
	if !errors.Is(err, postbox.ErrDenied) {
		t.Fatalf("StatsID with NoWatch: %v, want ErrDenied", err)
	}
	// The endpoint's own process may still ask.
	c, _ := postbox.Dial(ctxT(t), "inproc:nowatch")
	defer c.Close()
	if st, err := c.Stats(ctxT(t)); err != nil || st.Name != "nowatch" {
		t.Fatalf("Stats in-process: %+v %v", st.Name, err)
	}
	// Reserved IDs never reach the handler, even unknown ones.
	if _, err := c.Send(ctxT(t), postbox.Message{ID: postbox.FirstReserved + 200}); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Fatalf("an unknown reserved ID: %v", err)
	}
}
