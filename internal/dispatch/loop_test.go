package dispatch

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/postbox-ipc/postbox/internal/transport"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a Responder that records outcomes.
type recorder struct {
	mu   sync.Mutex
	errs []error
	done chan *Request
}

func (r *recorder) Respond(req *Request, _ transport.Reply, err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
	if r.done != nil {
		r.done <- req
	}
}
func (r *recorder) Begin(*Request, time.Duration) {}
func (r *recorder) Watch(*Request)                {}

func req(w int64) *Request {
	r := NewRequest()
	r.Msg.W = w
	return r
}

// A flooding source does not starve another: sources are served round-robin.
func TestFairness(t *testing.T) {
	var mu sync.Mutex
	var order []int64
	gate := make(chan struct{})
	l := New(func(_ context.Context, m *transport.Message) (transport.Reply, error) {
		<-gate
		mu.Lock()
		order = append(order, m.W)
		mu.Unlock()
		return transport.Reply{}, nil
	}, Config{})
	defer l.Close()
	rec := &recorder{done: make(chan *Request, 200)}
	flood := l.Attach(transport.Peer{}, rec, 0)
	quiet := l.Attach(transport.Peer{}, rec, 0)
	for i := range 100 {
		if err := flood.Deliver(req(1000+int64(i)), false); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if err := quiet.Deliver(req(int64(i)), false); err != nil {
			t.Fatal(err)
		}
	}
	close(gate)
	for range 103 {
		<-rec.done
	}
	// The quiet source's three messages are handled within the first few,
	// interleaved with the flood, not after it.
	mu.Lock()
	defer mu.Unlock()
	last := -1
	for i, w := range order {
		if w < 1000 {
			last = i
		}
	}
	if last > 8 {
		t.Fatalf("the quiet source's last message was handled %dth of %d: starved by the flood (%v)", last+1, len(order), order[:10])
	}
}

func TestQueueBoundAndDrain(t *testing.T) {
	release := make(chan struct{})
	l := New(func(context.Context, *transport.Message) (transport.Reply, error) {
		<-release
		return transport.Reply{}, nil
	}, Config{})
	defer l.Close()
	rec := &recorder{}
	s := l.Attach(transport.Peer{}, rec, 4)
	accepted := 0
	for i := range 10 {
		if err := s.Deliver(req(int64(i)), false); err == nil {
			accepted++
		} else if err != transport.ErrQueueFull {
			t.Fatal(err)
		}
	}
	// One may already be running, so 4 or 5 fit.
	if accepted < 4 || accepted > 5 {
		t.Fatalf("a 4-deep queue accepted %d", accepted)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if err := l.Drain(ctx); err == nil {
		t.Fatal("Drain returned while a handler was blocked")
	}
	cancel()
	close(release)
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.errs) != accepted {
		t.Fatalf("%d outcomes for %d accepted", len(rec.errs), accepted)
	}
}

func TestDeliverWaitPushesBack(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	l := New(func(context.Context, *transport.Message) (transport.Reply, error) {
		started <- struct{}{}
		<-release
		return transport.Reply{}, nil
	}, Config{})
	defer l.Close()
	defer close(release)
	s := l.Attach(transport.Peer{}, &recorder{}, 1)
	s.Deliver(req(0), false)
	<-started
	if err := s.Deliver(req(0), false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	r := req(1)
	if err := s.DeliverWait(ctx, r); err == nil {
		t.Fatal("DeliverWait into a full queue returned nil")
	}
	Free(r)
	release <- struct{}{}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if err := s.DeliverWait(ctx2, req(2)); err != nil {
		t.Fatalf("DeliverWait once room appears: %v", err)
	}
}

func TestDetachCancelsQueuedSends(t *testing.T) {
	release := make(chan struct{})
	l := New(func(ctx context.Context, _ *transport.Message) (transport.Reply, error) {
		<-release
		return transport.Reply{}, nil
	}, Config{})
	defer l.Close()
	rec := &recorder{done: make(chan *Request, 10)}
	s := l.Attach(transport.Peer{}, rec, 0)
	first := req(0)
	first.Seq = 1
	s.Deliver(first, false)
	send := req(1)
	send.Seq = 2
	post := req(2)
	s.Deliver(send, false)
	s.Deliver(post, false)
	s.Detach(transport.ErrPeerGone)
	close(release)
	for range 3 {
		<-rec.done
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	// first ran (released), the queued Send was cancelled, the Post ran.
	if rec.errs[1] != transport.ErrPeerGone || rec.errs[2] != nil {
		t.Fatalf("outcomes %v: want the queued Send cancelled and the Post handled", rec.errs)
	}
}
