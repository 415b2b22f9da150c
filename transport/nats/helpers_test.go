package nats_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	gonats "github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/driver/drivertest"
	"github.com/postbox-ipc/postbox/transport/nats/internal/natstest"
)

func TestMain(m *testing.M) {
	if helperMain() {
		return
	}
	drivertest.Main(m, target, loadTarget)
}

// recorder is a handler that remembers what it received.
type recorder struct {
	mu   sync.Mutex
	msgs []postbox.Message
	sent []bool
	seen chan struct{}
}

func newRecorder() *recorder { return &recorder{seen: make(chan struct{}, 1<<16)} }

func (r *recorder) ServeMessage(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
	r.mu.Lock()
	c := *m
	c.Data = append([]byte(nil), m.Data...)
	r.msgs = append(r.msgs, c)
	r.sent = append(r.sent, postbox.InSend(ctx))
	r.mu.Unlock()
	r.seen <- struct{}{}
	return postbox.Reply{Result: int64(len(m.Data)), Data: append([]byte("re:"), m.Data...)}, nil
}

func (r *recorder) all() []postbox.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]postbox.Message(nil), r.msgs...)
}

// wait waits until the handler has seen n more messages.
func (r *recorder) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-r.seen:
		case <-time.After(30 * time.Second):
			t.Fatalf("the handler saw only %d messages", len(r.all()))
		}
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// env is a NATS server and the address prefix of its endpoints.
type env struct {
	srv *server.Server
	hp  string // host:port
}

func newEnv(t *testing.T, opts ...func(*server.Options)) *env {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // runs last
	s := natstest.Server(t, opts...)
	return &env{srv: s, hp: natstest.HostPort(s)}
}

func (e *env) addr(name string) string { return "nats://" + e.hp + "/" + name }

func (e *env) listen(t *testing.T, name string, h postbox.Handler, opts ...postbox.ListenOption) *postbox.Endpoint {
	t.Helper()
	ep, err := postbox.Listen(e.addr(name), h, opts...)
	if err != nil {
		t.Fatalf("listen %s: %v", name, err)
	}
	t.Cleanup(func() { ep.Close() })
	return ep
}

func (e *env) dial(t *testing.T, name string, opts ...postbox.DialOption) *postbox.Conn {
	t.Helper()
	c, err := postbox.Dial(testCtx(t), e.addr(name), opts...)
	if err != nil {
		t.Fatalf("dial %s: %v", name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// plain connects a plain NATS client.
func (e *env) plain(t *testing.T) *gonats.Conn {
	t.Helper()
	nc, err := gonats.Connect("nats://" + e.hp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}
