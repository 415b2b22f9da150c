package reliability

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// peerUID learns the UID the endpoint at addr sees for this process, or -1.
func (s *suite) peerUID(t *testing.T) int {
	t.Helper()
	var uid int
	ep, addr := s.listen(t, postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Result: int64(m.From.UID)}, nil
	}))
	c := s.dial(t, addr)
	rep, err := c.Send(testCtx(t), postbox.Message{})
	if err != nil {
		t.Fatal(err)
	}
	uid = int(rep.Result)
	c.Close()
	ep.Close()
	return uid
}

var _ = add("QuotaConnsPerUser", func(t *testing.T, s *suite) {
	const limit = 4
	if uid := s.peerUID(t); uid < 0 {
		t.Skip("the transport does not identify the peer's user: only MaxConns applies")
	}
	fg := s.record(t, "MaxConnsPerUser %d: %d connections, then one more (must fail with ErrLimit), then one after closing one", limit, limit)
	_, addr := s.listen(t, postbox.HandlerFunc(echoHandler), func(lc *postbox.ListenConfig) { lc.MaxConnsPerUser = limit })
	conns := make([]*postbox.Conn, limit)
	for i := range conns {
		conns[i] = s.dial(t, addr)
	}
	_, err := s.dialer().Dial(testCtx(t), addr)
	if !errors.Is(err, postbox.ErrLimit) {
		t.Fatalf("connection %d of a user limited to %d: %v, want ErrLimit", limit+1, limit, err)
	}
	over := err
	conns[0].Close()
	var again *postbox.Conn
	waitFor(t, 10*time.Second, func() bool {
		again, err = s.dialer().Dial(testCtx(t), addr)
		return err == nil
	}, "a connection after one of %d closed (last: %v)", limit, err)
	defer again.Close()
	if _, err := again.Send(testCtx(t), postbox.Message{ID: idEcho}); err != nil {
		t.Fatal(err)
	}
	fg.result(t, 0, "connection %d refused: %v; after one closed, a new one was admitted and answered", limit+1, over)
})

var _ = add("QuotaConns", func(t *testing.T, s *suite) {
	const limit = 4
	fg := s.record(t, "MaxConns %d: %d connections, then one more (must fail with ErrLimit); the first ones keep working", limit, limit)
	_, addr := s.listen(t, postbox.HandlerFunc(echoHandler), func(lc *postbox.ListenConfig) { lc.MaxConns = limit })
	conns := make([]*postbox.Conn, limit)
	for i := range conns {
		conns[i] = s.dial(t, addr)
	}
	_, err := s.dialer().Dial(testCtx(t), addr)
	if !errors.Is(err, postbox.ErrLimit) {
		t.Fatalf("connection %d to an endpoint limited to %d: %v, want ErrLimit", limit+1, limit, err)
	}
	for i, c := range conns {
		if _, err := c.Send(testCtx(t), postbox.Message{ID: idEcho}); err != nil {
			t.Fatalf("connection %d after the refusal: %v", i, err)
		}
	}
	fg.result(t, 0, "connection %d refused: %v; the %d admitted ones still answered", limit+1, err, limit)
})

func echoHandler(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
	return postbox.Reply{Result: m.L, Data: m.Data}, nil
}

var _ = add("QuotaOutstandingSends", func(t *testing.T, s *suite) {
	const limit = 8
	fg := s.record(t, "QueueLen %d, receiver stalled: %d SendAsync left pending on one connection, then one more (must fail with ErrQueueFull at once) and a Send with a 50 ms deadline (ErrQueueFull with ErrTimeout)", limit, limit)
	rx := s.receiver(t, rxConfig{QueueLen: limit})
	release := rx.stall(t, s)
	c := s.dial(t, rx.addr)
	var wg sync.WaitGroup
	answers := make(chan error, limit)
	for i := range int64(limit) {
		wg.Add(1)
		c.SendAsync(context.Background(), postbox.Message{ID: idEcho, L: i}, func(rep postbox.Reply, err error) {
			defer wg.Done()
			answers <- err
		})
	}
	extra := make(chan error, 1)
	c.SendAsync(context.Background(), postbox.Message{ID: idEcho}, func(_ postbox.Reply, err error) { extra <- err })
	var err9 error
	select {
	case err9 = <-extra:
	default:
		t.Fatal("SendAsync over the limit did not fail before returning")
	}
	if !errors.Is(err9, postbox.ErrQueueFull) {
		t.Fatalf("Send %d with %d allowed outstanding: %v, want ErrQueueFull", limit+1, limit, err9)
	}
	ctx, cancel := context.WithTimeout(testCtx(t), 50*time.Millisecond)
	_, errSend := c.Send(ctx, postbox.Message{ID: idEcho})
	cancel()
	if !errors.Is(errSend, postbox.ErrQueueFull) || !errors.Is(errSend, postbox.ErrTimeout) {
		t.Fatalf("blocking Send over the limit: %v, want ErrQueueFull and ErrTimeout", errSend)
	}
	release()
	wg.Wait()
	close(answers)
	for err := range answers {
		if err != nil {
			t.Errorf("a pending Send within the limit: %v", err)
		}
	}
	fg.result(t, 0, "Send %d: %v; blocking Send: %v; the %d pending ones were answered once the receiver resumed", limit+1, err9, errSend, limit)
})

var _ = add("QuotaQueuedBytes", func(t *testing.T, s *suite) {
	const size, limit = 16 << 10, 64 << 10
	fg := s.record(t, "QueueBytes %s, MaxSize %s, receiver stalled: TryPost of %s until refused; the %s-th must fail with ErrQueueFull", bytesize(limit), bytesize(size), bytesize(size), count(limit/size+1))
	rx := s.receiver(t, rxConfig{QueueBytes: limit, MaxSize: size})
	rx.stall(t, s)
	c := s.dial(t, rx.addr)
	data := make([]byte, size)
	var accepted int
	var err error
	for accepted = 0; accepted < 100; accepted++ {
		if err = c.TryPost(postbox.Message{ID: idPost, W: 1, L: int64(accepted), Data: data}); err != nil {
			break
		}
	}
	if accepted != limit/size || !errors.Is(err, postbox.ErrQueueFull) {
		t.Fatalf("%d posts of %s accepted into %s, then %v; want %d, then ErrQueueFull", accepted, bytesize(size), bytesize(limit), err, limit/size)
	}
	fg.result(t, 0, "%d posts (%s) accepted, the next refused: %v", accepted, bytesize(accepted*size), err)
})

var _ = add("IdleUnauthenticatedFlood", func(t *testing.T, s *suite) {
	raw := s.rawBeforeHello(t, "open idle connections with")
	n := 1000
	fg := s.record(t, "%s connections opened and left silent before their Hello (default MaxHandshakes 64: the oldest silent ones are displaced; MaxConns 1,024, HandshakeTimeout 5 s); then a legitimate client dials and sends 10 messages", count(n))
	ep, addr := s.listen(t, postbox.HandlerFunc(echoHandler))
	idle := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for range n {
		c, err := raw(testCtx(t), ep)
		if err != nil {
			t.Fatalf("idle connection %d: %v", len(idle)+1, err)
		}
		idle = append(idle, c)
	}
	var took []time.Duration
	start := time.Now()
	c := s.dial(t, addr)
	dial := time.Since(start)
	for i := range int64(10) {
		t0 := time.Now()
		rep, err := c.Send(testCtx(t), postbox.Message{ID: idEcho, L: i})
		if err != nil || rep.Result != i {
			t.Fatalf("Send %d beside %d idle connections: %v", i, n, err)
		}
		took = append(took, time.Since(t0))
	}
	slices.Sort(took)
	fg.result(t, 0, "with %s idle connections open, Dial took %s and Sends p50 %s, max %s", count(len(idle)), ms(dial), ms(percentile(took, 50)), ms(took[len(took)-1]))
	if dial > time.Second || took[len(took)-1] > time.Second {
		t.Errorf("not prompt: Dial %v, slowest Send %v", dial, took[len(took)-1])
	}
})

var _ = add("HandshakesTakeNoSlot", func(t *testing.T, s *suite) {
	raw := s.rawBeforeHello(t, "open silent connections with")
	const limit, silent = 2, 20
	fg := s.record(t, "MaxConns %d, MaxHandshakes %d: %d connections opened and left silent before their Hello; then %d clients must be admitted and answered, and one more refused with ErrLimit", limit, silent+8, silent, limit)
	ep, addr := s.listen(t, postbox.HandlerFunc(echoHandler), func(lc *postbox.ListenConfig) { lc.MaxConns, lc.MaxHandshakes = limit, silent+8 })
	for range silent {
		c, err := raw(testCtx(t), ep)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	for i := range limit {
		c := s.dial(t, addr)
		if _, err := c.Send(testCtx(t), postbox.Message{ID: idEcho}); err != nil {
			t.Fatalf("client %d beside %d silent connections: %v", i+1, silent, err)
		}
	}
	_, err := s.dialer().Dial(testCtx(t), addr)
	if !errors.Is(err, postbox.ErrLimit) {
		t.Fatalf("client %d with MaxConns %d: %v, want ErrLimit", limit+1, limit, err)
	}
	fg.result(t, 0, "beside %d silent connections, %d clients admitted and answered; the next refused: %v", silent, limit, err)
})

// rawBeforeHello is the transport's way to open a byte stream to the
// endpoint before any Hello (RawHandshake, else Raw), or skips t, which
// needed one to do what.
func (s *suite) rawBeforeHello(t *testing.T, what string) func(context.Context, *postbox.Endpoint) (net.Conn, error) {
	t.Helper()
	if s.RawHandshake != nil {
		return s.RawHandshake
	}
	if s.Raw == nil {
		t.Skip("the transport has no byte stream to " + what)
	}
	return s.Raw
}
