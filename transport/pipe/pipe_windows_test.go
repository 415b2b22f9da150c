package pipe_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/reliability"
	"github.com/postbox-ipc/postbox/internal/winapi"
	"github.com/postbox-ipc/postbox/internal/wintest"
)

func TestMain(m *testing.M) {
	wintest.Main(m, map[string]func([]string) int{"send": childSend, "hold": childHold}, func() {
		warmUp()
		reliability.Main(m, target)
	})
}

// warmUp makes one pipe connection before the tests, so go-winio starts
// its process-wide completion goroutine now and the conformance suite's
// leak check does not count it.
func warmUp() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	name := fmt.Sprintf("warmup-%d", os.Getpid())
	ep, err := postbox.Listen(name, postbox.HandlerFunc(echo))
	if err != nil {
		panic(err)
	}
	defer ep.Close()
	if _, err := postbox.Send(ctx, "pipe:"+name, postbox.Message{ID: 1}); err != nil {
		panic(err)
	}
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

func TestNoEndpoint(t *testing.T) {
	_, err := postbox.Dial(ctxT(t), "pipe:"+wintest.Name(t))
	if !errors.Is(err, postbox.ErrNoEndpoint) {
		t.Fatalf("Dial: %v, want ErrNoEndpoint", err)
	}
}

func TestSecondListenNameInUse(t *testing.T) {
	_, name := listen(t, echo)
	_, err := postbox.Listen(name, postbox.HandlerFunc(echo))
	if !errors.Is(err, postbox.ErrNameInUse) {
		t.Fatalf("second Listen: %v, want ErrNameInUse", err)
	}
}

// Many clients at once: each connection gets its own pipe instance.
func TestManyClients(t *testing.T) {
	_, name := listen(t, echo)
	const clients, sends = 16, 20
	errs := make(chan error, clients)
	for i := range clients {
		go func() {
			c, err := postbox.Dial(ctxT(t), "pipe:"+name)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for j := range sends {
				msg := fmt.Sprintf("%d-%d", i, j)
				rep, err := c.Send(ctxT(t), postbox.Message{ID: 1, Data: []byte(msg)})
				if err == nil && !strings.HasSuffix(string(rep.Data), "|"+msg) {
					err = fmt.Errorf("reply %q to %q", rep.Data, msg)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range clients {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// Closing the endpoint ends its connections: the client learns it.
func TestEndpointCloseSeenByClient(t *testing.T) {
	ep, name := listen(t, echo)
	c, err := postbox.Dial(ctxT(t), "pipe:"+name)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ep.Close()
	_, err = c.Send(ctxT(t), postbox.Message{ID: 1})
	if !errors.Is(err, postbox.ErrPeerGone) {
		t.Fatalf("Send after the endpoint closed: %v, want ErrPeerGone", err)
	}
	if _, err := postbox.Dial(ctxT(t), "pipe:"+name); !errors.Is(err, postbox.ErrNoEndpoint) {
		t.Fatalf("Dial after the endpoint closed: %v, want ErrNoEndpoint", err)
	}
}

// Posts through a pipe are confirmed by Flush, in order.
func TestPostsInOrder(t *testing.T) {
	got := make(chan string, 1000)
	_, name := listen(t, func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		got <- string(m.Data)
		return postbox.Reply{}, nil
	})
	c, err := postbox.Dial(ctxT(t), "pipe:"+name)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 500 {
		if err := c.Post(ctxT(t), postbox.Message{ID: 2, Data: []byte(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		if s := <-got; s != strconv.Itoa(i) {
			t.Fatalf("post %d arrived as %q", i, s)
		}
	}
}

// Every endpoint on Windows has a pipe, an in-process address and a window.
func TestEndpointAddrs(t *testing.T) {
	ep, name := listen(t, echo)
	addrs := strings.Join(ep.Addrs(), " ")
	for _, want := range []string{`pipe:\\.\pipe\postbox.` + selfSID(t) + "." + name, "inproc:" + name, "winmsg:hwnd=0x"} {
		if !strings.Contains(addrs, want) {
			t.Fatalf("Addrs() = %s, want %s…", addrs, want)
		}
	}
}

// A name whose owner died is taken over; a live one is not.
func TestStaleNameTakenOver(t *testing.T) {
	name := wintest.Name(t)
	child := wintest.Start(t, "hold", name)
	if l := child.Line(t, 20*time.Second); l != "ready" {
		t.Fatalf("child: %q", l)
	}
	if _, err := postbox.Listen(name, postbox.HandlerFunc(echo)); !errors.Is(err, postbox.ErrNameInUse) {
		t.Fatalf("Listen on a live name: %v, want ErrNameInUse", err)
	}
	child.Cmd.Process.Kill()
	child.Stop()
	var ep *postbox.Endpoint
	wintest.Eventually(t, 10*time.Second, "the dead owner's name to be free", func() bool {
		var err error
		ep, err = postbox.Listen(name, postbox.HandlerFunc(echo))
		return err == nil
	})
	defer ep.Close()
	if rep, err := postbox.Send(ctxT(t), name, postbox.Message{ID: 1}); err != nil || rep.Result != int64(os.Getpid()) {
		t.Fatalf("Send to the new owner: %+v, %v", rep, err)
	}
}

// An endpoint that closes while a client holds an idle connection frees
// its pipe name at once: the same name can listen again. (On Windows a
// pipe instance lives while either end is open, so the server disconnects
// its clients when it closes.)
func TestRelistenWithIdleClient(t *testing.T) {
	ep, name := listen(t, echo)
	c, err := postbox.Dial(ctxT(t), "pipe:"+name)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := ep.Close(); err != nil {
		t.Fatal(err)
	}
	ep2, err := postbox.Listen(name, postbox.HandlerFunc(echo))
	if err != nil {
		t.Fatalf("Listen again while an old client is still connected: %v", err)
	}
	defer ep2.Close()
	if _, err := c.Send(ctxT(t), postbox.Message{ID: 1}); !errors.Is(err, postbox.ErrPeerGone) {
		t.Fatalf("the old client's Send: %v, want ErrPeerGone", err)
	}
}
