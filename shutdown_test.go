package postbox_test

import (
	"context"
	"errors"
	"testing"

	"github.com/postbox-ipc/postbox"
)

// TestShutdownHandsTheNameOn is a hot restart in one process: while the old
// endpoint finishes what it accepted, a new one takes the name, and the old
// one's Close leaves the new one's socket and name alone.
func TestShutdownHandsTheNameOn(t *testing.T) {
	noLeaks(t)
	gate := make(chan struct{})
	started := make(chan struct{}, 1)
	old, err := postbox.Listen("restart", postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		if m.ID == postbox.User {
			started <- struct{}{}
			<-gate
		}
		return postbox.Reply{Data: []byte("old")}, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	c, err := postbox.Dial(ctx, "restart")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	answers := make(chan string, 2)
	go func() {
		rep, err := c.Send(ctx, postbox.Message{ID: postbox.User})
		answers <- string(rep.Data) + errString(err)
	}()
	<-started
	c.SendAsync(context.Background(), postbox.Message{}, func(rep postbox.Reply, err error) { answers <- string(rep.Data) + errString(err) })
	waitUntil(t, "a queued Send", func() bool { return old.Stats().Queued == 1 })

	done := make(chan error, 1)
	go func() { done <- old.Shutdown(ctx) }()
	waitUntil(t, "the old endpoint to drain", func() bool { return old.Stats().Draining })

	// The successor takes the name while the old one still works.
	var successor *postbox.Endpoint
	waitUntil(t, "the name to be free", func() bool {
		successor, err = postbox.Listen("restart", reply("new"))
		if err != nil && !errors.Is(err, postbox.ErrNameInUse) {
			t.Fatal(err)
		}
		return err == nil
	})
	defer successor.Close()
	if rep, err := postbox.Send(ctx, "restart", postbox.Message{}); err != nil || string(rep.Data) != "new" {
		t.Fatalf("a new connection during the restart: %q %v, want the successor", rep.Data, err)
	}

	close(gate)
	if err := <-done; err != nil {
		t.Fatalf("old Shutdown: %v", err)
	}
	for range 2 {
		if got := <-answers; got != "old" {
			t.Fatalf("a Send the old endpoint accepted was answered %q", got)
		}
	}
	// The old Close did not take the successor's socket or name.
	if rep, err := postbox.Send(ctx, "restart", postbox.Message{}); err != nil || string(rep.Data) != "new" {
		t.Fatalf("after the old endpoint closed: %q %v", rep.Data, err)
	}
	infos, _ := postbox.List(ctx)
	found := false
	for _, in := range infos {
		found = found || in.Name == "restart"
	}
	if !found {
		t.Fatal("the successor is not listed")
	}
}

func errString(err error) string {
	if err != nil {
		return " error: " + err.Error()
	}
	return ""
}

// TestDoneClosesWithTheEndpoint: Done blocks while the endpoint serves and
// is closed by a Shutdown from another goroutine.
func TestDoneClosesWithTheEndpoint(t *testing.T) {
	ep, err := postbox.Listen("done-test", reply("x"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-ep.Done():
		t.Fatal("Done closed while the endpoint serves")
	default:
	}
	go ep.Shutdown(context.Background())
	<-ep.Done() // the test's timeout is the bound
	if _, err := postbox.Send(ctxT(t), "done-test", postbox.Message{}); !errors.Is(err, postbox.ErrNoEndpoint) {
		t.Fatalf("Send after Done: %v, want ErrNoEndpoint", err)
	}
	if err := ep.Close(); err != nil {
		t.Fatalf("Close after Shutdown: %v", err)
	}
}
