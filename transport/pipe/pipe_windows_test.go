package pipe_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/winapi"
	"github.com/postbox-ipc/postbox/internal/wintest"
)

func TestMain(m *testing.M) {
	wintest.Main(m, map[string]func([]string) int{
		"send": childSend,
	})
}

func echo(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
	return postbox.Reply{Result: int64(m.From.PID), Data: []byte(m.From.SID + "|" + string(m.Data))}, nil
}

func listen(t *testing.T, h postbox.HandlerFunc) (*postbox.Endpoint, string) {
	t.Helper()
	name := wintest.Name(t)
	ep, err := postbox.Listen(name, h)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { ep.Close() })
	return ep, name
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestRoundTripInProcess(t *testing.T) {
	_, name := listen(t, echo)
	c, err := postbox.Dial(ctxT(t), "pipe:"+name)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	rep, err := c.Send(ctxT(t), postbox.Message{ID: postbox.User + 1, Data: []byte("hello")})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	self, _ := winapi.UserSID()
	if rep.Result != int64(os.Getpid()) || string(rep.Data) != self+"|hello" {
		t.Fatalf("reply = %d %q, want pid %d and %q", rep.Result, rep.Data, os.Getpid(), self+"|hello")
	}
	if p := c.Peer(); p.PID != os.Getpid() || p.SID != self || p.Transport != "pipe" {
		t.Fatalf("server peer = %+v", p)
	}
}
