package conformance

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// gated blocks messages with ID idGate until its gate opens, and counts
// what it handled.
type gated struct {
	gate    chan struct{}
	started chan struct{}
	handled atomic.Int64
}

const idGate = postbox.User + 77

func newGated() *gated {
	return &gated{gate: make(chan struct{}), started: make(chan struct{}, 100)}
}

func (g *gated) ServeMessage(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
	if m.ID == idGate {
		g.started <- struct{}{}
		select {
		case <-g.gate:
		case <-ctx.Done():
			return postbox.Reply{}, ctx.Err()
		}
	}
	g.handled.Add(1)
	return postbox.Reply{Result: m.W}, nil
}

var _ = add("GracefulShutdown", func(t *testing.T, s *suite) {
	g := newGated()
	ep, addr := s.listen(t, g)
	a, b, late := s.dial(t, addr), s.dial(t, addr), s.dial(t, addr)

	// In flight: a Send running (gated) and two queued behind it on a,
	// and three posts queued on b.
	type result struct {
		rep postbox.Reply
		err error
	}
	results := make(chan result, 3)
	go func() {
		rep, err := a.Send(ctx(t), postbox.Message{ID: idGate, W: 1})
		results <- result{rep, err}
	}()
	<-g.started
	for w := int64(2); w <= 3; w++ {
		a.SendAsync(context.Background(), postbox.Message{ID: postbox.User, W: w}, func(rep postbox.Reply, err error) { results <- result{rep, err} })
	}
	for i := range 3 {
		if err := b.Post(ctx(t), postbox.Message{ID: postbox.User, W: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool { return ep.Stats().Queued == 5 }, "five messages queued")

	done := make(chan error, 1)
	go func() { done <- ep.Shutdown(ctx(t)) }()
	waitFor(t, 10*time.Second, func() bool { return ep.Stats().Draining }, "Shutdown to begin")

	// New messages on an open connection are refused, never lost unseen.
	_, err := late.Send(ctx(t), postbox.Message{ID: postbox.User, W: 9})
	if !errors.Is(err, postbox.ErrClosed) {
		t.Fatalf("Send during Shutdown: %v, want an error matching ErrClosed", err)
	}
	if err := late.Post(ctx(t), postbox.Message{ID: postbox.User, W: 9}); err == nil {
		var lost *postbox.LostError
		if err := late.Flush(ctx(t)); !errors.As(err, &lost) || lost.Count != 1 {
			t.Fatalf("Flush of a post made during Shutdown: %v, want a *LostError for 1", err)
		}
	} else if !errors.Is(err, postbox.ErrClosed) {
		t.Fatalf("Post during Shutdown: %v, want nil (then a LostError) or ErrClosed", err)
	}
	// A new connection is refused, or its first message is.
	if c, err := s.dialer().Dial(ctx(t), addr); err == nil {
		_, err = c.Send(ctx(t), postbox.Message{ID: postbox.User})
		c.Close()
		if !errors.Is(err, postbox.ErrClosed) {
			t.Fatalf("Send on a connection made during Shutdown: %v", err)
		}
	} else if !errors.Is(err, postbox.ErrNoEndpoint) {
		t.Fatalf("Dial during Shutdown: %v, want ErrNoEndpoint", err)
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned with messages in flight: %v", err)
	default:
	}

	// Everything accepted before is handled and answered.
	close(g.gate)
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	seen := map[int64]bool{}
	for range 3 {
		r := <-results
		if r.err != nil {
			t.Fatalf("a Send accepted before Shutdown: %v", r.err)
		}
		seen[r.rep.Result] = true
	}
	if len(seen) != 3 || g.handled.Load() != 6 {
		t.Fatalf("answered %v, handled %d; want 3 answers and 6 handled", seen, g.handled.Load())
	}
})

var _ = add("ShutdownTimeoutReportsPosts", func(t *testing.T, s *suite) {
	g := newGated()
	ep, addr := s.listen(t, g)
	c := s.dial(t, addr)
	if err := c.Post(ctx(t), postbox.Message{ID: idGate}); err != nil {
		t.Fatal(err)
	}
	<-g.started
	for range 4 {
		c.Post(ctx(t), postbox.Message{ID: postbox.User})
	}
	if err := c.Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	// The gate never opens: Shutdown gives up, and its Close cancels
	// the handler's context.
	short, cancel := context.WithTimeout(ctx(t), 100*time.Millisecond)
	defer cancel()
	err := ep.Shutdown(short)
	var unhandled *postbox.UnhandledError
	if !errors.Is(err, postbox.ErrTimeout) || !errors.As(err, &unhandled) || unhandled.Posts != 4 {
		t.Fatalf("Shutdown past its deadline: %v, want ErrTimeout and an *UnhandledError for 4 posts", err)
	}
})
