package conformance

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/postbox-ipc/postbox"
)

// A stream of Posts several credit windows long goes through whole. The
// receiver hands credit back while a large coalesced write is still under
// way, so the sender may queue a second window behind the first: that is
// the credit working, not a peer that does not read, and must not end the
// connection.
var _ = add("PostStreamPastTheWindow", func(t *testing.T, s *suite) {
	const window = 64 << 20 // the default: a coalesced write this large outlasts its first credit
	var handled atomic.Int64
	h := postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		handled.Add(1)
		return postbox.Reply{}, nil
	})
	ep, addr := s.listen(t, h, func(lc *postbox.ListenConfig) { lc.QueueBytes = window })
	c := s.dial(t, addr)
	payload := make([]byte, 4<<10)
	n := s.scale(3 * window / len(payload))
	for i := range n {
		if err := c.Post(ctx(t), postbox.Message{W: int64(i), Data: payload}); err != nil {
			t.Fatalf("Post %d of %d (%d KiB window, 4 KiB each): %v", i+1, n, window>>10, err)
		}
	}
	if err := c.Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := ep.Shutdown(ctx(t)); err != nil { // Flush says accepted; Shutdown waits for the handler
		t.Fatal(err)
	}
	if got := handled.Load(); got != int64(n) {
		t.Fatalf("handled %d of %d posts", got, n)
	}
})
