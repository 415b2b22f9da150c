package reliability

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// receiver is the suite's server, in a child process when the transport
// crosses processes, in the test's own otherwise.
type receiver struct {
	addr    string
	proc    *childProc        // nil in-process
	ep      *postbox.Endpoint // nil in a child
	srv     *server           // nil in a child
	handing chan int64        // in-process: idBlock announcements
}

// receiver starts the suite's server with cfg.
func (s *suite) receiver(t *testing.T, cfg rxConfig) *receiver {
	t.Helper()
	if s.CrossProcess {
		p := s.serveChild(t, s.name(), cfg)
		return &receiver{addr: p.addr, proc: p}
	}
	return s.localReceiver(t, cfg)
}

// localReceiver starts the suite's server in this process.
func (s *suite) localReceiver(t *testing.T, cfg rxConfig) *receiver {
	t.Helper()
	r := &receiver{handing: make(chan int64, 1024)}
	r.srv = newServer(func(seq int64) { r.handing <- seq })
	r.ep, r.addr = s.listen(t, r.srv, cfg.apply)
	t.Cleanup(func() { close(r.srv.wake) }) // before the endpoint's Close waits for sleepers
	return r
}

// where says where the receiver runs, for the figures.
func (r *receiver) where() string {
	if r.proc != nil {
		return "receiver in a child process"
	}
	return "receiver in the same process"
}

// waitHandling waits until an idBlock message's handler has started.
func (r *receiver) waitHandling(t *testing.T) {
	t.Helper()
	if r.proc != nil {
		r.proc.expect(t, "handling")
		return
	}
	select {
	case <-r.handing:
	case <-time.After(time.Minute):
		t.Fatal("the blocking handler did not start within a minute")
	}
}

// stall occupies the receiver's message loop (concurrency 1) with a
// handler that waits, sent on a connection of its own. The returned
// function releases it by cancelling that Send, and waits for the Send to
// end.
func (r *receiver) stall(t *testing.T, s *suite) (release func()) {
	t.Helper()
	c := s.dial(t, r.addr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Send(ctx, postbox.Message{ID: idBlock})
		done <- err
	}()
	r.waitHandling(t)
	var released bool
	release = func() {
		if released {
			return
		}
		released = true
		cancel()
		// Cancelled, or ended with the endpoint.
		if err := <-done; !errors.Is(err, context.Canceled) && !errors.Is(err, postbox.ErrPeerGone) && !errors.Is(err, postbox.ErrClosed) {
			t.Errorf("the stalling Send ended with %v, want context.Canceled", err)
		}
	}
	t.Cleanup(release)
	return release
}
