package nats_test

import (
	"context"
	"errors"
	"testing"

	"github.com/postbox-ipc/postbox"
	pbnats "github.com/postbox-ipc/postbox/transport/nats"
)

// TestDurablePost posts while no endpoint runs: JetStream keeps the
// messages (on a server that fsyncs every write), and the endpoint handles
// every one of them, in order, once it starts.
func TestDurablePost(t *testing.T) {
	e := newEnv(t)
	durable := &pbnats.Transport{Durable: true}
	c, err := postbox.Dial(testCtx(t), e.addr("inbox"), postbox.WithDialTransports(durable))
	if err != nil {
		t.Fatalf("dial a durable name with no endpoint: %v", err)
	}
	const n = 50
	for i := range n {
		if err := c.Post(testCtx(t), postbox.Message{ID: postbox.App + 1, W: int64(i), Data: []byte("keep")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(testCtx(t)); err != nil {
		t.Fatalf("Flush (JetStream stored every Post): %v", err)
	}
	if _, err := c.Send(testCtx(t), postbox.Message{}); !errors.Is(err, postbox.ErrNoEndpoint) {
		t.Fatalf("Send with no endpoint: %v, want ErrNoEndpoint", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	rec := newRecorder()
	e.listen(t, "inbox", rec, postbox.WithTransports(durable))
	rec.wait(t, n)
	for i, m := range rec.all() {
		if m.ID != postbox.App+1 || m.W != int64(i) || string(m.Data) != "keep" || rec.sent[i] {
			t.Fatalf("durable message %d arrived as %+v", i, m)
		}
	}
}

// TestDurableRedelivery: a durable message whose endpoint closed before
// handling it is handled by the next endpoint of that name.
func TestDurableRedelivery(t *testing.T) {
	e := newEnv(t)
	durable := &pbnats.Transport{Durable: true}
	started := make(chan struct{}, 1)
	block := postbox.HandlerFunc(func(ctx context.Context, _ *postbox.Message) (postbox.Reply, error) {
		started <- struct{}{}
		<-ctx.Done()
		return postbox.Reply{}, ctx.Err()
	})
	first, err := postbox.Listen(e.addr("job"), block, postbox.WithTransports(durable), postbox.WithQueueLen(1))
	if err != nil {
		t.Fatal(err)
	}
	c := e.dial(t, "job", postbox.WithDialTransports(durable))
	for i := range 3 {
		if err := c.Post(testCtx(t), postbox.Message{W: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	<-started
	first.Close()

	rec := newRecorder()
	e.listen(t, "job", rec, postbox.WithTransports(durable))
	rec.wait(t, 3)
	seen := map[int64]bool{}
	for _, m := range rec.all() {
		seen[m.W] = true
	}
	if len(seen) != 3 {
		t.Fatalf("after the first endpoint closed, the second handled %v", seen)
	}
}
