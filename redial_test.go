package postbox_test

import (
	"errors"
	"testing"

	"github.com/postbox-ipc/postbox"
)

// TestRedialReachesTheRestartedEndpoint: a Conn dialed with Redial fails
// the message in flight when its endpoint goes away, then reaches the
// endpoint that took the name; a plain Conn stays with the one it dialed.
func TestRedialReachesTheRestartedEndpoint(t *testing.T) {
	noLeaks(t)
	const name = "redial-test"
	first, err := postbox.Listen(name, reply("first"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	re, err := postbox.Dial(ctx, name, postbox.WithDialRedial())
	if err != nil {
		t.Fatal(err)
	}
	plain, err := postbox.Dial(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*postbox.Conn{re, plain} {
		if rep, err := c.Send(ctx, postbox.Message{}); err != nil || string(rep.Data) != "first" {
			t.Fatalf("Send: %q, %v", rep.Data, err)
		}
	}
	first.Close()
	if _, err := re.Send(ctx, postbox.Message{}); !errors.Is(err, postbox.ErrPeerGone) && !errors.Is(err, postbox.ErrClosed) {
		t.Fatalf("Send as the endpoint went away: %v, want ErrPeerGone or ErrClosed", err)
	}
	if _, err := re.Send(ctx, postbox.Message{}); !errors.Is(err, postbox.ErrNoEndpoint) {
		t.Fatalf("Send while nothing listens: %v, want the redial's ErrNoEndpoint", err)
	}
	second, err := postbox.Listen(name, reply("second"))
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if rep, err := re.Send(ctx, postbox.Message{}); err != nil || string(rep.Data) != "second" {
		t.Fatalf("Send with Redial after the restart: %q, %v; want the new endpoint's answer", rep.Data, err)
	}
	if err := re.Post(ctx, postbox.Message{}); err != nil {
		t.Fatalf("Post with Redial after the restart: %v", err)
	}
	if _, err := plain.Send(ctx, postbox.Message{}); err == nil {
		t.Fatal("a Conn without Redial reached the new endpoint")
	}
	plain.Close()
	if err := re.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := re.Send(ctx, postbox.Message{}); !errors.Is(err, postbox.ErrClosed) {
		t.Fatalf("Send after Close: %v, want ErrClosed", err)
	}
}

// TestRedialAfterShutdown is a hot restart: the old endpoint drains and
// hands its name on; a Redial Conn's messages go to the new one, at most one
// of them refused by the draining endpoint (and so never handled).
func TestRedialAfterShutdown(t *testing.T) {
	const name = "redial-hot"
	old, err := postbox.Listen(name, reply("old"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	c, err := postbox.Dial(ctx, name, postbox.WithDialRedial())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Send(ctx, postbox.Message{}); err != nil {
		t.Fatal(err)
	}
	if err := old.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	next, err := postbox.Listen(name, reply("new"))
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	refused := 0
	for {
		rep, err := c.Send(ctx, postbox.Message{})
		if err == nil {
			if string(rep.Data) != "new" {
				t.Fatalf("answer %q, want the new endpoint's", rep.Data)
			}
			break
		}
		if refused++; refused > 1 || !errors.Is(err, postbox.ErrClosed) && !errors.Is(err, postbox.ErrPeerGone) {
			t.Fatalf("Send %d after the hot restart: %v", refused, err)
		}
	}
}
