package postbox_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

func TestSmoke(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	var posts atomic.Int64
	ep, err := postbox.Listen("smoke", postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		if m.ID == postbox.User+1 {
			posts.Add(1)
			return postbox.Reply{}, nil
		}
		return postbox.Reply{Result: m.W + m.L, Data: append([]byte("echo:"), m.Data...)}, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	t.Log(ep.Addrs())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, addr := range []string{"smoke", "inproc:smoke"} {
		c, err := postbox.Dial(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := c.Send(ctx, postbox.Message{ID: postbox.CopyData, W: 2, L: 3, Data: []byte("hi")})
		if err != nil || rep.Result != 5 || string(rep.Data) != "echo:hi" {
			t.Fatalf("%s: %v %+v", addr, err, rep)
		}
		for i := 0; i < 1000; i++ {
			if err := c.Post(ctx, postbox.Message{ID: postbox.User + 1}); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	t.Log("posts", posts.Load())
	l, err := postbox.List(ctx)
	t.Log(l, err)
}
