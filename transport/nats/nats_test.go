package nats_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	gonats "github.com/nats-io/nats.go"

	"github.com/postbox-ipc/postbox"
	pbnats "github.com/postbox-ipc/postbox/transport/nats"
)

func TestSend(t *testing.T) {
	e := newEnv(t)
	rec := newRecorder()
	e.listen(t, "viewer", rec)
	c := e.dial(t, "viewer")
	rep, err := c.Send(testCtx(t), postbox.Message{ID: postbox.User + 7, W: -5, L: 1 << 40, Data: []byte("hello")})
	if err != nil {
		t.Fatal(err)
	}
	if string(rep.Data) != "re:hello" || rep.Result != 5 {
		t.Fatalf("reply %q %d", rep.Data, rep.Result)
	}
	m := rec.all()[0]
	if m.ID != postbox.User+7 || m.W != -5 || m.L != 1<<40 || !rec.sent[0] {
		t.Fatalf("received %+v (sent %v)", m, rec.sent[0])
	}
	if m.From.Transport != "nats" || m.From.PID != os.Getpid() || m.From.Identity != pbnats.Identity || m.From.UID != -1 {
		t.Fatalf("From = %+v", m.From)
	}
	if p := c.Peer(); p.Transport != "nats" || p.PID != os.Getpid() {
		t.Fatalf("Peer() = %+v", p)
	}
}

func TestNoEndpoint(t *testing.T) {
	e := newEnv(t)
	if _, err := postbox.Dial(testCtx(t), e.addr("nobody")); !errors.Is(err, postbox.ErrNoEndpoint) {
		t.Fatalf("dial: %v, want ErrNoEndpoint", err)
	}
	ep := e.listen(t, "brief", newRecorder())
	c := e.dial(t, "brief")
	ep.Close()
	// NATS says at once that nobody listens any more: the minute-long
	// deadline and the liveness period are far away.
	_, err := c.Send(testCtx(t), postbox.Message{})
	if !errors.Is(err, postbox.ErrPeerGone) || !strings.Contains(err.Error(), "no responders") {
		t.Fatalf("send after the endpoint closed: %v, want ErrPeerGone from no responders", err)
	}
}

func TestNoServer(t *testing.T) {
	e := newEnv(t)
	addr := e.addr("x")
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	if _, err := postbox.Dial(testCtx(t), addr); !errors.Is(err, postbox.ErrNoEndpoint) {
		t.Fatalf("dial without a server: %v, want ErrNoEndpoint", err)
	}
}

func TestTooLarge(t *testing.T) {
	e := newEnv(t, func(o *server.Options) { o.MaxPayload = 64 << 10 })
	e.listen(t, "small", postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Data: m.Data}, nil
	}))
	c := e.dial(t, "small")
	if c.MaxSize() >= 64<<10 || c.MaxSize() <= 0 {
		t.Fatalf("MaxSize() = %d, want just under the server's 64 KiB", c.MaxSize())
	}
	big := make([]byte, 64<<10)
	if _, err := c.Send(testCtx(t), postbox.Message{Data: big}); !errors.Is(err, postbox.ErrTooLarge) {
		t.Fatalf("send: %v, want ErrTooLarge", err)
	}
	if err := c.Post(testCtx(t), postbox.Message{Data: big}); !errors.Is(err, postbox.ErrTooLarge) {
		t.Fatalf("post: %v, want ErrTooLarge", err)
	}
	if _, err := c.Send(testCtx(t), postbox.Message{Data: big[:c.MaxSize()]}); err != nil {
		t.Fatalf("send MaxSize bytes: %v", err)
	}
}

func TestRemoteError(t *testing.T) {
	e := newEnv(t)
	e.listen(t, "grumpy", postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		if m.ID == 1 {
			panic("boom")
		}
		return postbox.Reply{}, fmt.Errorf("no thanks: %w", postbox.ErrDenied)
	}))
	c := e.dial(t, "grumpy")
	_, err := c.Send(testCtx(t), postbox.Message{})
	var re *postbox.RemoteError
	if !errors.As(err, &re) || !errors.Is(err, postbox.ErrDenied) || re.Message != "no thanks: access denied" {
		t.Fatalf("send: %v, want a RemoteError matching ErrDenied", err)
	}
	_, err = c.Send(testCtx(t), postbox.Message{ID: 1})
	if !errors.As(err, &re) || !re.Panicked() {
		t.Fatalf("send to a panicking handler: %v", err)
	}
}

func TestPostAndFlush(t *testing.T) {
	e := newEnv(t)
	rec := newRecorder()
	e.listen(t, "sink", rec)
	c := e.dial(t, "sink")
	const n = 3000
	for i := range n {
		if err := c.Post(testCtx(t), postbox.Message{ID: postbox.App, W: int64(i)}); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	if err := c.Flush(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, n)
	for i, m := range rec.all() {
		if m.W != int64(i) || rec.sent[i] {
			t.Fatalf("message %d: W=%d sent=%v: out of order or not a post", i, m.W, rec.sent[i])
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestPostPushBack: a full queue makes TryPost fail and Post wait.
func TestPostPushBack(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	h := postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
		<-release
		return postbox.Reply{}, nil
	})
	e.listen(t, "slow", h, postbox.WithQueueLen(4))
	c := e.dial(t, "slow")
	var full error
	for range 100 {
		if full = c.TryPost(postbox.Message{}); full != nil {
			break
		}
	}
	if !errors.Is(full, postbox.ErrQueueFull) {
		t.Fatalf("TryPost never reported a full queue: %v", full)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.Post(ctx, postbox.Message{}); !errors.Is(err, postbox.ErrQueueFull) || !errors.Is(err, postbox.ErrTimeout) {
		t.Fatalf("Post on a full queue: %v, want ErrQueueFull and ErrTimeout", err)
	}
	close(release)
	if err := c.Post(testCtx(t), postbox.Message{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}

// TestPostUnacknowledged: Posts to an instance that never shows a sign of
// life are reported by Flush and Close, never dropped unseen.
func TestPostUnacknowledged(t *testing.T) {
	e := newEnv(t)
	nc := e.plain(t)
	// A responder that answers the Dial's hello and ignores everything else.
	sub, err := nc.Subscribe("postbox.mute", func(m *gonats.Msg) {
		m.RespondMsg(&gonats.Msg{Header: gonats.Header{pbnats.HeaderWindow: {"100"}, pbnats.HeaderInstance: {"postbox.$inst.mute"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	sink, err := nc.SubscribeSync("postbox.$inst.mute")
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Unsubscribe()
	nc.Flush()
	c, err := postbox.Dial(testCtx(t), e.addr("mute"), postbox.WithDialCloseTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := c.Post(testCtx(t), postbox.Message{}); err != nil {
			t.Fatal(err)
		}
	}
	err = c.Flush(testCtx(t))
	var lost *postbox.LostError
	if !errors.As(err, &lost) || lost.Count != 3 || !errors.Is(err, postbox.ErrPeerGone) {
		t.Fatalf("Flush: %v, want 3 posts lost, ErrPeerGone", err)
	}
	if err := c.Close(); !errors.As(err, &lost) || lost.Count != 3 {
		t.Fatalf("Close after the loss: %v, want the *LostError again", err)
	}
}

// TestPostWhileDisconnected: once the client knows the server is gone, Post
// fails at once; every Post that returned nil before is reported by Flush.
func TestPostWhileDisconnected(t *testing.T) {
	e := newEnv(t)
	e.listen(t, "far", newRecorder())
	c := e.dial(t, "far")
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	var accepted uint64
	var err error
	for ctx := testCtx(t); ctx.Err() == nil; accepted++ {
		if err = c.Post(ctx, postbox.Message{}); err != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("%d posts accepted before: %v", accepted, err)
	if !errors.Is(err, postbox.ErrPeerGone) {
		t.Fatalf("Post while disconnected: %v, want ErrPeerGone", err)
	}
	if _, err := c.Send(testCtx(t), postbox.Message{}); !errors.Is(err, postbox.ErrPeerGone) {
		t.Fatalf("Send while disconnected: %v, want ErrPeerGone", err)
	}
	err = c.Flush(testCtx(t))
	var lost *postbox.LostError
	// With nothing accepted there is nothing to report (the first Post may
	// already have found the connection gone); a dead connection's Flush
	// then says nil or ErrPeerGone, never a loss.
	if accepted > 0 && (!errors.As(err, &lost) || lost.Count != accepted) || accepted == 0 && err != nil && !errors.Is(err, postbox.ErrPeerGone) {
		t.Fatalf("Flush after %d posts were sent into the void: %v", accepted, err)
	}
}

func TestPlainClient(t *testing.T) {
	e := newEnv(t)
	rec := newRecorder()
	e.listen(t, "viewer", rec)
	nc := e.plain(t)
	res, err := nc.Request("postbox.viewer", []byte("hello"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Data) != "re:hello" {
		t.Fatalf("reply %q", res.Data)
	}
	m := rec.all()[0]
	if m.ID != postbox.CopyData || m.W != 0 || m.L != 0 || string(m.Data) != "hello" || !rec.sent[0] || m.From.PID != -1 {
		t.Fatalf("received %+v", m)
	}

	req := &gonats.Msg{Subject: "postbox.viewer", Data: []byte("x"), Header: gonats.Header{
		pbnats.HeaderID: {"0x401"}, pbnats.HeaderW: {"-2"}, pbnats.HeaderL: {"9"}}}
	res, err = nc.RequestMsg(req, 10*time.Second)
	if err != nil || res.Header.Get(pbnats.HeaderResult) != "1" {
		t.Fatalf("request with headers: %v %v", res, err)
	}
	if m := rec.all()[1]; m.ID != postbox.User+1 || m.W != -2 || m.L != 9 {
		t.Fatalf("received %+v", m)
	}

	if err := nc.Publish("postbox.viewer", []byte("fire")); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 3)
	if m := rec.all()[2]; string(m.Data) != "fire" || rec.sent[2] {
		t.Fatalf("a plain publish arrived as %+v (sent %v), want a post", m, rec.sent[2])
	}

	bad := &gonats.Msg{Subject: "postbox.viewer", Header: gonats.Header{pbnats.HeaderW: {"many"}}}
	res, err = nc.RequestMsg(bad, 10*time.Second)
	if err != nil || res.Header.Get(pbnats.HeaderError) == "" {
		t.Fatalf("a malformed header was not refused: %v %v", res, err)
	}
}

// TestReplicasShareTheLoad: each connection sticks to the replica that
// answered its Dial (keeping its messages in order), so connections spread
// over replicas; plain NATS requests spread one by one.
func TestReplicasShareTheLoad(t *testing.T) {
	e := newEnv(t)
	a, b := newRecorder(), newRecorder()
	e.listen(t, "worker", a)
	e.listen(t, "worker", b)
	const conns, each = 40, 5
	for range conns {
		c := e.dial(t, "worker")
		for range each {
			if _, err := c.Send(testCtx(t), postbox.Message{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	na, nb := len(a.all()), len(b.all())
	if na == 0 || nb == 0 || na+nb != conns*each || na%each != 0 {
		t.Fatalf("replicas handled %d and %d of %d (in whole connections of %d)", na, nb, conns*each, each)
	}
	nc := e.plain(t)
	for range 100 {
		if _, err := nc.Request("postbox.worker", nil, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if len(a.all()) == na || len(b.all()) == nb {
		t.Fatalf("plain requests all went to one replica: %d and %d", len(a.all())-na, len(b.all())-nb)
	}
}

func TestCancelReachesHandler(t *testing.T) {
	e := newEnv(t)
	started := make(chan struct{})
	cause := make(chan error, 1)
	e.listen(t, "patient", postbox.HandlerFunc(func(ctx context.Context, _ *postbox.Message) (postbox.Reply, error) {
		close(started)
		<-ctx.Done()
		cause <- ctx.Err()
		return postbox.Reply{}, ctx.Err()
	}))
	c := e.dial(t, "patient")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	if _, err := c.Send(ctx, postbox.Message{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("send: %v, want context.Canceled", err)
	}
	select {
	case err := <-cause:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("handler's ctx: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the handler never saw the cancellation")
	}
}

func TestDeadlineReachesHandler(t *testing.T) {
	e := newEnv(t)
	got := make(chan time.Time, 1)
	e.listen(t, "dl", postbox.HandlerFunc(func(ctx context.Context, _ *postbox.Message) (postbox.Reply, error) {
		d, _ := ctx.Deadline()
		got <- d
		return postbox.Reply{}, nil
	}))
	c := e.dial(t, "dl")
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	want, _ := ctx.Deadline()
	if _, err := c.Send(ctx, postbox.Message{}); err != nil {
		t.Fatal(err)
	}
	d := <-got
	if d.IsZero() || d.After(want.Add(time.Second)) || d.Before(want.Add(-time.Minute)) {
		t.Fatalf("handler deadline %v, sender's %v", d, want)
	}
}

func TestSendAsync(t *testing.T) {
	e := newEnv(t)
	e.listen(t, "async", newRecorder())
	c := e.dial(t, "async")
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Add(1)
		c.SendAsync(context.Background(), postbox.Message{Data: []byte{byte(i)}}, func(rep postbox.Reply, err error) {
			defer wg.Done()
			if err == nil && !bytes.Equal(rep.Data, []byte{'r', 'e', ':', byte(i)}) {
				err = fmt.Errorf("reply %q to %d", rep.Data, i)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestBroadcast(t *testing.T) {
	e := newEnv(t)
	e.listen(t, "b1", newRecorder())
	e.listen(t, "b2", newRecorder())
	e.listen(t, "b2", newRecorder()) // a replica answers too
	e.listen(t, "b3", postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{}, errors.New("nope")
	}))
	hang := make(chan struct{})
	defer close(hang)
	e.listen(t, "b4", postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
		<-hang // ignores its deadline: answers only after the broadcast gave up
		return postbox.Reply{}, nil
	}))
	b := pbnats.Broadcaster{Timeout: 2 * time.Second}
	res, err := b.Broadcast(testCtx(t), "nats://"+e.hp, postbox.Message{Data: []byte("all")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]error{}
	for _, r := range res {
		if r.Err == nil && string(r.Reply.Data) != "re:all" {
			t.Errorf("%s replied %q", r.Endpoint.Name, r.Reply.Data)
		}
		if r.Endpoint.PID != os.Getpid() {
			t.Errorf("%s: PID %d", r.Endpoint.Name, r.Endpoint.PID)
		}
		got[r.Endpoint.Name] = append(got[r.Endpoint.Name], r.Err)
	}
	var re *postbox.RemoteError
	switch {
	case len(res) != 5, len(got["b1"]) != 1, len(got["b2"]) != 2, got["b1"][0] != nil, got["b2"][0] != nil, got["b2"][1] != nil:
		t.Fatalf("results %v", got)
	case !errors.As(got["b3"][0], &re):
		t.Fatalf("b3: %v, want its handler's error", got["b3"])
	case !errors.Is(got["b4"][0], postbox.ErrTimeout):
		t.Fatalf("b4: %v, want ErrTimeout", got["b4"])
	}
}

func TestBroadcastNobody(t *testing.T) {
	e := newEnv(t)
	res, err := pbnats.Broadcast(testCtx(t), e.hp, postbox.Message{})
	if err != nil || len(res) != 0 {
		t.Fatalf("broadcast to nobody: %v, %v", res, err)
	}
}

func TestAlsoOnNATS(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	e := newEnv(t)
	rec := newRecorder()
	ep, err := postbox.Listen("local", rec, postbox.WithAlso("nats://"+e.hp))
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	for _, addr := range []string{"local", e.addr("local")} {
		rep, err := postbox.Send(testCtx(t), addr, postbox.Message{Data: []byte("x")})
		if err != nil || string(rep.Data) != "re:x" {
			t.Fatalf("send %s: %q, %v", addr, rep.Data, err)
		}
	}
}

func TestBadAddresses(t *testing.T) {
	for _, addr := range []string{"nats://host:4222", "nats:///x", "nats://h:1/a..b", "nats://h:1/a*"} {
		if _, err := postbox.Dial(testCtx(t), addr); !errors.Is(err, postbox.ErrBadAddress) {
			t.Errorf("dial %s: %v, want ErrBadAddress", addr, err)
		}
	}
}
