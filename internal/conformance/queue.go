package conformance

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// stalled is a handler that blocks on its first message until release is
// closed, and counts every message it handles.
type stalled struct {
	release chan struct{}
	started chan struct{}
	handled atomic.Int64
	first   atomic.Bool
}

func newStalled() *stalled {
	return &stalled{release: make(chan struct{}), started: make(chan struct{})}
}

func (h *stalled) ServeMessage(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
	if h.first.CompareAndSwap(false, true) {
		close(h.started)
		<-h.release
	}
	h.handled.Add(1)
	return postbox.Reply{}, nil
}

var _ = add("QueueFullAccounting", func(t *testing.T, s *suite) {
	const queue = 64
	h := newStalled()
	ep, addr := s.listen(t, h, func(lc *postbox.ListenConfig) { lc.QueueLen = queue })
	c := s.dial(t, addr)
	released := false
	t.Cleanup(func() {
		if !released {
			close(h.release)
		}
	})
	if err := c.Post(ctx(t), postbox.Message{}); err != nil {
		t.Fatal(err)
	}
	<-h.started
	var accepted, full int
	for sent := 0; sent < 10*queue; sent++ {
		switch err := c.TryPost(postbox.Message{W: int64(sent)}); {
		case err == nil:
			accepted++
		case errors.Is(err, postbox.ErrQueueFull):
			full++
		default:
			t.Fatalf("TryPost: %v", err)
		}
	}
	if full == 0 || accepted == 0 || accepted > queue {
		t.Fatalf("TryPost into a %d-message queue with a stalled handler: %d accepted, %d full", queue, accepted, full)
	}
	// Post (blocking) pushes back until its context ends.
	short, cancel := context.WithTimeout(ctx(t), 100*time.Millisecond)
	defer cancel()
	err := c.Post(short, postbox.Message{})
	if !errors.Is(err, postbox.ErrQueueFull) || !errors.Is(err, postbox.ErrTimeout) {
		t.Fatalf("Post into a full queue: %v, want ErrQueueFull and ErrTimeout", err)
	}
	close(h.release)
	released = true
	if err := c.Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := ep.Shutdown(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got, want := h.handled.Load(), int64(1+accepted); got != want {
		t.Fatalf("handled %d messages; 1 + %d accepted = %d were promised", got, accepted, want)
	}
})

var _ = add("PostThenFlush", func(t *testing.T, s *suite) {
	var handled atomic.Int64
	h := postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
		handled.Add(1)
		return postbox.Reply{}, nil
	})
	ep, addr := s.listen(t, h)
	c := s.dial(t, addr)
	n := s.scale(20000)
	for i := range n {
		if err := c.Post(ctx(t), postbox.Message{W: int64(i), Data: []byte("payload")}); err != nil {
			t.Fatalf("Post %d: %v", i, err)
		}
	}
	if err := c.Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ep.Shutdown(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if handled.Load() != int64(n) {
		t.Fatalf("handled %d of %d posted messages", handled.Load(), n)
	}
})

var _ = add("Concurrency", func(t *testing.T, s *suite) {
	for _, conc := range []int{1, 3} {
		var active, peak atomic.Int64
		gate := make(chan struct{})
		h := postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
			n := active.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			<-gate
			active.Add(-1)
			return postbox.Reply{}, nil
		})
		_, addr := s.listen(t, h, func(lc *postbox.ListenConfig) { lc.Concurrency = conc })
		for range 4 {
			if err := s.dial(t, addr).Post(ctx(t), postbox.Message{}); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, 10*time.Second, func() bool { return active.Load() == int64(conc) }, "%d handlers running", conc)
		time.Sleep(50 * time.Millisecond) // room for a wrongly started extra handler
		if p := peak.Load(); p != int64(conc) {
			t.Fatalf("concurrency %d: %d handlers ran at once", conc, p)
		}
		close(gate)
	}
})

var _ = add("FlushWhileHandlerStuck", func(t *testing.T, s *suite) {
	h := newStalled()
	_, addr := s.listen(t, h)
	c := s.dial(t, addr)
	defer close(h.release)
	// One lone post: the endpoint may run it in its reading goroutine.
	if err := c.Post(ctx(t), postbox.Message{}); err != nil {
		t.Fatal(err)
	}
	<-h.started
	for i := range 10 {
		if err := c.Post(ctx(t), postbox.Message{W: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// The handler is stuck and never looks at its context, yet the
	// receiver keeps reading: Flush (acceptance, not handling) returns.
	fctx, cancel := context.WithTimeout(ctx(t), 10*time.Second)
	defer cancel()
	if err := c.Flush(fctx); err != nil {
		t.Fatalf("Flush while the handler is stuck: %v", err)
	}
})
