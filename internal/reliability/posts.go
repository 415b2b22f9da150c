package reliability

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

var _ = add("PostOrder", func(t *testing.T, s *suite) {
	n := s.count(200_000, 1_000_000, 5_000_000)
	fg := s.record(t, "%s Posts on one connection, 16-byte payloads; the receiver checks each is the next of its stream", count(n))
	rx := s.receiver(t, rxConfig{})
	c := s.dial(t, rx.addr)
	ctx := testCtx(t)
	data := make([]byte, 16)
	start := time.Now()
	for i := range int64(n) {
		stamp(data, 0, i)
		if err := c.Post(ctx, postbox.Message{ID: idPost, L: i, Data: data}); err != nil {
			t.Fatalf("Post %d: %v", i, err)
		}
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	elapsed := time.Since(start)
	st, err := fetchStats(ctx, c, false) // handled after every post before it
	if err != nil {
		t.Fatal(err)
	}
	lost := int64(n) - st.Posts + st.OutOfOrder
	fg.result(t, lost, "%s handled, %d out of order, %d missing; %s Posts/s (%s)",
		count(int(st.Posts)), st.OutOfOrder, int64(n)-st.Posts, count(int(float64(n)/elapsed.Seconds())), rx.where())
	if st.Posts != int64(n) || st.OutOfOrder != 0 {
		t.Fatalf("receiver handled %d of %d posts, %d out of order", st.Posts, n, st.OutOfOrder)
	}
})

var _ = add("PostAccounting", func(t *testing.T, s *suite) {
	const queue = 1024
	senders := 4
	sent := pick(s.level, 4, 10, 50) * queue
	fg := s.record(t, "queue of %d messages, receiver stalled; %d connections each TryPost %s times, then 10 blocking Posts with a 10 ms deadline; then the receiver resumes",
		queue, senders, count(sent))
	rx := s.receiver(t, rxConfig{QueueLen: queue})
	release := rx.stall(t, s)
	var mu sync.Mutex
	var accepted, full, sentAll int
	var wg sync.WaitGroup
	conns := make([]*postbox.Conn, senders)
	for i := range conns {
		conns[i] = s.dial(t, rx.addr)
	}
	for i, c := range conns {
		wg.Go(func() {
			a, f, n := postUntilFull(t, c, int64(i+1), sent)
			mu.Lock()
			accepted, full, sentAll = accepted+a, full+f, sentAll+n
			mu.Unlock()
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	release()
	for _, c := range conns {
		if err := c.Flush(testCtx(t)); err != nil {
			t.Fatalf("Flush after the receiver resumed: %v", err)
		}
	}
	// Every connection's posts were accepted (Flush); its stats Send is
	// handled after them. The counters are the receiver's, over all.
	var st stats
	for _, c := range conns {
		var err error
		if st, err = fetchStats(testCtx(t), c, false); err != nil {
			t.Fatal(err)
		}
	}
	lost := int64(sentAll) - st.Posts - int64(full)
	fg.result(t, lost, "sent %s = delivered %s + ErrQueueFull %s; %d out of order (%s)",
		count(sentAll), count(int(st.Posts)), count(full), st.OutOfOrder, rx.where())
	if st.Posts+int64(full) != int64(sentAll) || st.Posts != int64(accepted) || st.OutOfOrder != 0 {
		t.Fatalf("sent %d, ErrQueueFull %d, accepted %d, delivered %d (%d out of order): does not add up",
			sentAll, full, accepted, st.Posts, st.OutOfOrder)
	}
	if accepted != senders*queue {
		t.Errorf("accepted %d posts into %d queues of %d", accepted, senders, queue)
	}
})

// postUntilFull posts n times with TryPost, then ten times with a blocking
// Post and a short deadline, on stream; it returns how many were accepted,
// refused with ErrQueueFull, and sent in all.
func postUntilFull(t *testing.T, c *postbox.Conn, stream int64, n int) (accepted, full, sent int) {
	var seq int64
	try := func(post func(postbox.Message) error) {
		sent++
		switch err := post(postbox.Message{ID: idPost, W: stream, L: seq}); {
		case err == nil:
			accepted++
			seq++ // only accepted posts take a place in the stream's order
		case errors.Is(err, postbox.ErrQueueFull):
			full++
		default:
			t.Errorf("post %d: %v, want nil or ErrQueueFull", sent, err)
		}
	}
	for range n {
		try(c.TryPost)
	}
	for range 10 {
		try(func(m postbox.Message) error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			defer cancel()
			err := c.Post(ctx, m)
			if err != nil && !errors.Is(err, postbox.ErrTimeout) {
				t.Errorf("blocking Post into a full queue: %v, want ErrQueueFull with ErrTimeout", err)
			}
			return err
		})
	}
	return accepted, full, sent
}

var _ = add("PostAccountingReceiverKilled", func(t *testing.T, s *suite) {
	if !s.CrossProcess {
		t.Skip("the transport does not cross processes: no receiver to kill")
	}
	const queue = 1024
	sent := pick(s.level, 4, 10, 50) * queue
	fg := s.record(t, "queue of %d messages, receiver stalled; TryPost %s times, then the receiver is killed (SIGKILL); Flush and Close must report every accepted post",
		queue, count(sent))
	rx := s.receiver(t, rxConfig{QueueLen: queue})
	rx.stall(t, s)
	c := s.dial(t, rx.addr)
	accepted, full, n := postUntilFull(t, c, 1, sent)
	rx.proc.kill()
	err := c.Flush(testCtx(t))
	var le *postbox.LostError
	if !errors.As(err, &le) || !errors.Is(err, postbox.ErrPeerGone) {
		t.Fatalf("Flush after the receiver was killed: %v, want a *LostError wrapping ErrPeerGone", err)
	}
	lost := int64(n) - int64(full) - int64(le.Count)
	fg.result(t, lost, "sent %s = ErrQueueFull %s + reported lost (LostError.Count) %s; none unaccounted",
		count(n), count(full), count(int(le.Count)))
	if int(le.Count) != accepted || accepted+full != n {
		t.Fatalf("sent %d, ErrQueueFull %d, accepted %d, LostError counts %d", n, full, accepted, le.Count)
	}
	if err := c.Close(); !errors.As(err, &le) || int(le.Count) != accepted {
		t.Fatalf("Close: %v, want the same *LostError", err)
	}
})
