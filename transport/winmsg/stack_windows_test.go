package winmsg_test

import (
	"context"
	"testing"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/wintest"
)

// deep uses n KiB of stack, so a handler calling it grows its goroutine's
// stack, which moves it.
//
//go:noinline
func deep(n int) byte {
	var pad [1024]byte
	pad[n%len(pad)] = byte(n)
	if n == 0 {
		return pad[0]
	}
	return deep(n-1) + pad[n%len(pad)]
}

// A handler running inside GetMessage on the window's thread may move that
// goroutine's stack; the message loop must still see the messages
// GetMessage returns afterwards (its MSG must not be on the stack).
func TestPostAfterStackGrowingHandler(t *testing.T) {
	got := make(chan uint32, 10)
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		got <- m.ID
		return postbox.Reply{Result: int64(deep(256))}, nil
	})
	name := wintest.Name(t)
	ep, err := postbox.Listen(name, h)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	c := dial(t, "winmsg:"+name)
	for i := range 3 {
		if _, err := c.Send(ctxT(t), postbox.Message{ID: postbox.User + 1}); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		if err := c.Post(ctxT(t), postbox.Message{ID: postbox.User + 2}); err != nil {
			t.Fatalf("Post %d: %v", i, err)
		}
		for _, want := range []uint32{postbox.User + 1, postbox.User + 2} {
			select {
			case id := <-got:
				if id != want {
					t.Fatalf("round %d: handler got %#x, want %#x", i, id, want)
				}
			case <-ctxT(t).Done():
				t.Fatalf("round %d: message %#x never reached the handler", i, want)
			}
		}
	}
	if err := ep.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
