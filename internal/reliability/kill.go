package reliability

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// killBound is the promised bound on noticing a killed receiver, at the
// 99th percentile, on stream transports.
const killBound = 100 * time.Millisecond

var _ = add("ReceiverKilledMidSend", func(t *testing.T, s *suite) {
	if !s.CrossProcess {
		t.Skip("the transport does not cross processes: no receiver to kill")
	}
	bound, n := killBound, s.count(200, 200, 2000)
	if s.PeerDeathBound > 0 {
		// Heartbeats, not the kernel: each iteration takes that long.
		bound, n = s.PeerDeathBound, max(n/10, 10)
	}
	fg := s.record(t, "%d times: a receiver child process starts, its handler blocks on a Send (60 s deadline), the child is killed with SIGKILL; the Send must fail with ErrPeerGone, p99 ≤ %s after the kill", n, ms(bound))
	var lat []time.Duration
	var wrong int
	for i := range n {
		d, err := s.killReceiver(t)
		if !errors.Is(err, postbox.ErrPeerGone) {
			wrong++
			t.Errorf("iteration %d: Send to a killed receiver: %v, want ErrPeerGone", i, err)
		}
		lat = append(lat, d)
	}
	slices.Sort(lat)
	fg.result(t, int64(wrong), "%d of %d Sends failed with ErrPeerGone; detection p50 %s, p99 %s, max %s",
		n-wrong, n, ms(percentile(lat, 50)), ms(percentile(lat, 99)), ms(lat[len(lat)-1]))
	s.checkBound(t, "time from SIGKILL to ErrPeerGone", lat, bound, 99)
})

// killReceiver runs one iteration: it returns the Send's error and how long
// after the kill it came.
func (s *suite) killReceiver(t *testing.T) (time.Duration, error) {
	t.Helper()
	p := s.serveChild(t, s.name(), rxConfig{})
	defer p.kill()
	c, err := s.dialer().Dial(testCtx(t), p.addr)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	type outcome struct {
		err error
		at  time.Time
	}
	done := make(chan outcome, 1)
	go func() {
		_, err := c.Send(ctx, postbox.Message{ID: idBlock, L: 1})
		done <- outcome{err, time.Now()}
	}()
	p.expect(t, "handling")
	killed := time.Now()
	p.kill()
	select {
	case o := <-done:
		return o.at.Sub(killed), o.err
	case <-time.After(2 * time.Minute):
		t.Fatal("Send still waiting two minutes after its receiver was killed")
		return 0, nil
	}
}

var _ = add("SenderKilledWithPending", func(t *testing.T, s *suite) {
	if !s.CrossProcess {
		t.Skip("the transport does not cross processes: no sender to kill")
	}
	cycles := s.count(50, 1000, 5000)
	if s.PeerDeathBound > 0 {
		// The endpoint learns of the death from its next heartbeat, not
		// from the kernel: each cycle takes a heartbeat period.
		cycles = min(cycles, s.count(20, 100, 500))
	}
	if v := os.Getenv("CYCLES"); v != "" {
		cycles, _ = strconv.Atoi(v)
	}
	fg := s.record(t, "%s cycles: a sender child process leaves %d Sends pending at an endpoint in this process (one handling, the rest queued), then is killed with SIGKILL; the endpoint must free the connection: goroutines and descriptors back to baseline after every cycle, heap back at the end",
		count(cycles), pendingSends)
	srv := newServer(nil)
	_, addr := s.listen(t, srv)
	cycle := func() time.Duration {
		p := s.startUnmanaged(t, modeSender, addr, rxConfig{})
		defer p.kill()
		p.expect(t, "pending")
		killed := time.Now()
		p.kill()
		return time.Since(killed)
	}
	// A sender's running handler is cancelled before the next sender
	// comes: its first Send could not run otherwise (Concurrency 1).
	cancelled := func(n int64) {
		waitFor(t, 10*time.Second, func() bool {
			srv.mu.Lock()
			defer srv.mu.Unlock()
			return srv.st.Held >= n
		}, "the killed sender's running handler to be cancelled (%d so far)", n-1)
	}
	cycle() // warm pools and lazily started goroutines up
	cancelled(1)
	base, _ := settle(measure(), 0)
	var freeing []time.Duration
	for i := range cycles {
		cycle()
		at := time.Now()
		cancelled(int64(i + 2))
		u, ok := settle(base, 10*time.Second)
		if !ok {
			t.Fatalf("cycle %d: the killed sender's connection was not freed: %v, baseline %v", i+1, u, base)
		}
		freeing = append(freeing, time.Since(at))
	}
	var held, posts int64
	waitFor(t, 10*time.Second, func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		held, posts = srv.st.Held, srv.st.Posts
		return held == int64(cycles+1) && posts == int64(cycles+1)
	}, "one cancelled handler and one handled post per sender, %d each (%v)", cycles+1, lazy(func() string {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return fmt.Sprintf("%d handlers cancelled, %d posts handled so far", srv.st.Held, srv.st.Posts)
	}))
	end := measure()
	slices.Sort(freeing)
	growth := int64(end.heap) - int64(base.heap)
	fg.result(t, 0, "%s connections freed; baseline %v, after %v (heap %+d KiB); freed p50 %s, max %s after the kill; %d running handlers cancelled, %d queued posts handled",
		count(cycles), base, end, growth/1024, ms(percentile(freeing, 50)), ms(freeing[len(freeing)-1]), held, posts)
	if held != int64(cycles+1) || posts != int64(cycles+1) {
		t.Errorf("handlers cancelled %d, posts handled %d; want %d each (one per sender)", held, posts, cycles+1)
	}
	if growth > 1<<20 {
		t.Errorf("heap grew by %d KiB over %d cycles", growth/1024, cycles)
	}
})
