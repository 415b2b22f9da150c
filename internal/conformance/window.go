package conformance

import (
	"context"
	"fmt"
	"sync"
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

// Many callers sending large messages on one Conn get every answer. A
// well-behaved client keeps at most a window of requests outstanding, but
// the answers to them may leave in one vectored write that holds them all
// until it returns, while the client, having read the first, already
// sends the next request: the server may queue an answer behind a whole
// window of answers still being written, and must not take that for a
// peer that does not read.
var _ = add("SendsPastTheWindow", func(t *testing.T, s *suite) {
	const size = 4 << 20 // the dialer's MaxSize too, so the window (4 of them) sets the bound
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Result: m.W, Data: m.Data}, nil
	})
	_, addr := s.listen(t, h, func(lc *postbox.ListenConfig) { lc.QueueBytes = 4 * size })
	d := *s.dialer()
	d.MaxSize = size
	c, err := d.Dial(ctx(t), addr)
	if err != nil {
		t.Fatalf("Dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			p := make([]byte, size)
			p[0], p[size-1] = byte(g), byte(g)
			for i := range s.scale(32) {
				rep, err := c.Send(ctx(t), postbox.Message{W: int64(i), Data: p})
				if err == nil && (rep.Result != int64(i) || len(rep.Data) != size || rep.Data[0] != byte(g) || rep.Data[size-1] != byte(g)) {
					err = fmt.Errorf("caller %d, send %d: wrong answer (result %d, %d bytes)", g, i, rep.Result, len(rep.Data))
				}
				if err != nil {
					errs <- fmt.Errorf("caller %d, send %d of 4 MiB (16 MiB window): %w", g, i, err)
					return
				}
				rep.Release()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
})
