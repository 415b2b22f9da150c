package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// Message IDs the behaviour tests use.
const (
	idBlock    = postbox.User + 10 // handler waits for its context to end
	idDeadline = postbox.User + 11 // handler reports its deadline
	idFail     = postbox.User + 12 // handler returns an error
	idDeny     = postbox.User + 13 // handler returns ErrDenied
	idPanic    = postbox.User + 14 // handler panics
)

// behaving answers the IDs above, and echoes anything else. ended receives
// the context error a blocked handler saw.
func behaving(ended chan<- error) postbox.Handler {
	return postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		switch m.ID {
		case idBlock:
			<-ctx.Done()
			ended <- ctx.Err()
			return postbox.Reply{}, ctx.Err()
		case idDeadline:
			dl, ok := ctx.Deadline()
			if !ok {
				return postbox.Reply{Result: -1}, nil
			}
			return postbox.Reply{Result: int64(time.Until(dl))}, nil
		case idFail:
			return postbox.Reply{}, errors.New("boom: " + string(m.Data))
		case idDeny:
			return postbox.Reply{}, fmt.Errorf("no thanks: %w", postbox.ErrDenied)
		case idPanic:
			panic("handler panic " + string(m.Data))
		}
		return echo(ctx, m)
	})
}

var _ = add("DeadlineReachesHandler", func(t *testing.T, s *suite) {
	ended := make(chan error, 1)
	_, addr := s.listen(t, behaving(ended))
	c := s.dial(t, addr)
	c2, cancel := context.WithTimeout(ctx(t), 3*time.Second)
	defer cancel()
	rep, err := c.Send(c2, postbox.Message{ID: idDeadline})
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Duration(rep.Result); left <= 0 || left > 3*time.Second {
		t.Fatalf("handler saw %v left before its deadline, want within (0, 3s]", left)
	}
	rep, err = c.Send(ctx(t), postbox.Message{ID: idDeadline})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Duration(rep.Result); d > time.Minute {
		t.Fatalf("handler saw a deadline %v away, want at most the sender's minute", d)
	}

	short, cancel := context.WithTimeout(ctx(t), 100*time.Millisecond)
	defer cancel()
	_, err = c.Send(short, postbox.Message{ID: idBlock})
	if !errors.Is(err, postbox.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send past its deadline: %v, want ErrTimeout", err)
	}
	var te interface{ Timeout() bool }
	if !errors.As(err, &te) || !te.Timeout() {
		t.Fatalf("error %v has no Timeout() == true", err)
	}
	select {
	case herr := <-ended:
		if herr == nil {
			t.Fatal("handler's context ended without an error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handler's context was not cancelled after the sender's deadline")
	}
	// The connection still works, and the late answer went nowhere.
	if err := checkedSend(ctx(t), c, 1, 2); err != nil {
		t.Fatal(err)
	}
})

var _ = add("CancelReachesHandler", func(t *testing.T, s *suite) {
	ended := make(chan error, 1)
	_, addr := s.listen(t, behaving(ended))
	c := s.dial(t, addr)
	cctx, cancel := context.WithCancel(ctx(t))
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	_, err := c.Send(cctx, postbox.Message{ID: idBlock})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Send: %v, want context.Canceled", err)
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the sender's cancellation never reached the handler")
	}
	if err := checkedSend(ctx(t), c, 3, 4); err != nil {
		t.Fatal(err)
	}
})

var _ = add("HandlerError", func(t *testing.T, s *suite) {
	_, addr := s.listen(t, behaving(nil))
	c := s.dial(t, addr)
	_, err := c.Send(ctx(t), postbox.Message{ID: idFail, Data: []byte("details")})
	var re *postbox.RemoteError
	if !errors.As(err, &re) || re.Panicked() || !bytes.Contains([]byte(re.Message), []byte("boom: details")) {
		t.Fatalf("failing handler: %v, want a *RemoteError with its text", err)
	}
	_, err = c.Send(ctx(t), postbox.Message{ID: idDeny})
	if !errors.Is(err, postbox.ErrDenied) || !errors.As(err, &re) {
		t.Fatalf("handler returning ErrDenied: %v, want a *RemoteError matching ErrDenied", err)
	}
	// A handler that returns a *RemoteError chooses the code and text
	// the sender sees.
	chosen := postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{}, &postbox.RemoteError{Code: postbox.CodeQueueFull, Message: "try later"}
	})
	_, addr = s.listen(t, chosen)
	_, err = s.dial(t, addr).Send(ctx(t), postbox.Message{ID: postbox.User})
	if !errors.As(err, &re) || re.Code != postbox.CodeQueueFull || re.Message != "try later" || !errors.Is(err, postbox.ErrQueueFull) {
		t.Fatalf("handler returning a *RemoteError: %v, want it back with its code and text", err)
	}
})

var _ = add("HandlerPanic", func(t *testing.T, s *suite) {
	_, addr := s.listen(t, behaving(nil))
	c := s.dial(t, addr)
	for i := range 3 {
		_, err := c.Send(ctx(t), postbox.Message{ID: idPanic, Data: []byte("x")})
		var re *postbox.RemoteError
		if !errors.As(err, &re) || !re.Panicked() {
			t.Fatalf("panicking handler: %v, want a *RemoteError that Panicked", err)
		}
		if err := checkedSend(ctx(t), c, i, 0); err != nil {
			t.Fatalf("after a panic: %v", err)
		}
	}
	// Posts that panic are contained too.
	if err := c.Post(ctx(t), postbox.Message{ID: idPanic}); err != nil {
		t.Fatal(err)
	}
	if err := checkedSend(ctx(t), c, 9, 9); err != nil {
		t.Fatalf("after a posted panic: %v", err)
	}
})

var _ = add("Oversize", func(t *testing.T, s *suite) {
	_, addr := s.listen(t, echo, func(lc *postbox.ListenConfig) { lc.MaxSize = 1 << 10 })
	c := s.dial(t, addr)
	if c.MaxSize() != 1<<10 {
		t.Errorf("MaxSize() = %d, want 1024", c.MaxSize())
	}
	big := make([]byte, 1<<10+1)
	if _, err := c.Send(ctx(t), postbox.Message{Data: big}); !errors.Is(err, postbox.ErrTooLarge) {
		t.Fatalf("oversized Send: %v, want ErrTooLarge", err)
	}
	if err := c.Post(ctx(t), postbox.Message{Data: big}); !errors.Is(err, postbox.ErrTooLarge) {
		t.Fatalf("oversized Post: %v, want ErrTooLarge", err)
	}
	if _, err := c.Send(ctx(t), postbox.Message{Data: big[:1<<10]}); err != nil {
		t.Fatalf("largest allowed Send after an oversized one: %v", err)
	}
})

var _ = add("OversizeReply", func(t *testing.T, s *suite) {
	h := postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Data: make([]byte, 4096)}, nil
	})
	_, addr := s.listen(t, h)
	d := *s.dialer()
	d.MaxSize = 1024
	c, err := d.Dial(ctx(t), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Send(ctx(t), postbox.Message{}); !errors.Is(err, postbox.ErrTooLarge) {
		t.Fatalf("reply larger than the sender accepts: %v, want ErrTooLarge", err)
	}
})

var _ = add("NoEndpoint", func(t *testing.T, s *suite) {
	_, err := s.dialer().Dial(ctx(t), s.Addr(s.name(t)))
	if !errors.Is(err, postbox.ErrNoEndpoint) {
		t.Fatalf("Dial of a name nobody listens on: %v, want ErrNoEndpoint", err)
	}
})

var _ = add("NameInUse", func(t *testing.T, s *suite) {
	ep, _ := s.listen(t, echo)
	var lc postbox.ListenConfig
	if s.Configure != nil {
		s.Configure(&lc)
	}
	_, err := lc.Listen(ctx(t), s.Addr(ep.Name()), echo)
	if !errors.Is(err, postbox.ErrNameInUse) {
		t.Fatalf("second Listen on a live name: %v, want ErrNameInUse", err)
	}
	if err := ep.Close(); err != nil {
		t.Fatal(err)
	}
	ep2, err := lc.Listen(ctx(t), s.Addr(ep.Name()), echo)
	if err != nil {
		t.Fatalf("Listen after the owner closed: %v", err)
	}
	ep2.Close()
})

var _ = add("Close", func(t *testing.T, s *suite) {
	_, addr := s.listen(t, echo)
	c, err := s.dialer().Dial(ctx(t), addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkedSend(ctx(t), c, 0, 0); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := c.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	if _, err := c.Send(ctx(t), postbox.Message{}); !errors.Is(err, postbox.ErrClosed) {
		t.Fatalf("Send after Close: %v, want ErrClosed", err)
	}
	if err := c.Post(ctx(t), postbox.Message{}); !errors.Is(err, postbox.ErrClosed) {
		t.Fatalf("Post after Close: %v, want ErrClosed", err)
	}
})

var _ = add("EndpointCloseDuringSend", func(t *testing.T, s *suite) {
	ended := make(chan error, 1)
	ep, addr := s.listen(t, behaving(ended))
	c := s.dial(t, addr)
	done := make(chan error, 1)
	go func() {
		_, err := c.Send(ctx(t), postbox.Message{ID: idBlock})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := ep.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, postbox.ErrPeerGone) && !errors.Is(err, postbox.ErrClosed) {
			t.Fatalf("Send to an endpoint that closed: %v, want ErrPeerGone or ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Send hung after the endpoint closed")
	}
	if err := ep.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
})

// SendAsync takes a context as Send does: its deadline reaches the
// handler, and when it ends first, done gets the timeout exactly once and
// the handler's context is cancelled.
var _ = add("SendAsyncContext", func(t *testing.T, s *suite) {
	ended := make(chan error, 1)
	_, addr := s.listen(t, behaving(ended))
	c := s.dial(t, addr)
	deadlines := make(chan postbox.Reply, 1)
	dctx, cancel := context.WithTimeout(ctx(t), 3*time.Second)
	defer cancel()
	c.SendAsync(dctx, postbox.Message{ID: idDeadline}, func(rep postbox.Reply, err error) { deadlines <- rep })
	if left := time.Duration((<-deadlines).Result); left <= 0 || left > 3*time.Second {
		t.Fatalf("handler of a SendAsync saw %v left before its deadline, want within (0, 3s]", left)
	}
	got := make(chan error, 2)
	bctx, cancel := context.WithTimeout(ctx(t), 200*time.Millisecond)
	defer cancel()
	c.SendAsync(bctx, postbox.Message{ID: idBlock}, func(_ postbox.Reply, err error) { got <- err })
	select {
	case err := <-got:
		if !errors.Is(err, postbox.ErrTimeout) {
			t.Fatalf("SendAsync past its deadline: %v, want ErrTimeout", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SendAsync past its deadline was never answered")
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the SendAsync's deadline never reached the handler")
	}
	if err := checkedSend(ctx(t), c, 5, 6); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		t.Fatalf("done called a second time, with %v", err)
	default:
	}
})
