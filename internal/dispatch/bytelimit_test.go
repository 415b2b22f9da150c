package dispatch

import (
	"context"
	"testing"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// A source with a byte limit refuses the request that would take its queued
// bytes past it, and takes requests again once the queue drains.
func TestByteLimit(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	l := New(func(context.Context, *transport.Message) (transport.Reply, error) {
		select {
		case started <- struct{}{}:
		default:
		}
		<-release
		return transport.Reply{}, nil
	}, Config{})
	defer l.Close()
	s := l.Attach(transport.Peer{}, &recorder{}, 100)
	s.SetByteLimit(100)
	sized := func(n int) *Request { r := req(0); r.Size = n; return r }
	if err := s.Deliver(sized(100), false); err != nil { // runs: leaves the queue
		t.Fatal(err)
	}
	<-started
	for i, n := range []int{40, 60} {
		if err := s.Deliver(sized(n), false); err != nil {
			t.Fatalf("request %d of %d bytes within a 100-byte limit: %v", i, n, err)
		}
	}
	for _, n := range []int{1, 100} {
		r := sized(n)
		if err := s.Deliver(r, false); err != transport.ErrQueueFull {
			t.Fatalf("%d more bytes over a full 100-byte limit: %v, want ErrQueueFull", n, err)
		}
		Free(r)
	}
	if err := s.Deliver(sized(0), false); err != nil {
		t.Fatalf("an empty request: %v", err)
	}
	close(release)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := l.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Deliver(sized(100), false); err != nil {
		t.Fatalf("after draining: %v", err)
	}
}
