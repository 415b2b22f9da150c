package conformance

import (
	"errors"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

var _ = add("PeerDeathMidSend", func(t *testing.T, s *suite) {
	if !s.CrossProcess {
		t.Skip("the transport does not cross processes")
	}
	p := s.child(t)
	c := s.dial(t, p.addr)
	if err := checkedSend(ctx(t), c, 5, 6); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Send(ctx(t), postbox.Message{ID: idBlock})
		done <- err
	}()
	p.expect(t, "handling")
	killed := time.Now()
	p.kill()
	select {
	case err := <-done:
		if !errors.Is(err, postbox.ErrPeerGone) {
			t.Fatalf("Send to a receiver killed mid-handler: %v, want ErrPeerGone", err)
		}
		t.Logf("ErrPeerGone %v after the kill", time.Since(killed).Round(time.Microsecond))
	case <-time.After(30 * time.Second):
		t.Fatal("Send still waiting 30s after its receiver was killed")
	}
})

var _ = add("PeerDeathReportsPosts", func(t *testing.T, s *suite) {
	if !s.CrossProcess {
		t.Skip("the transport does not cross processes")
	}
	p := s.child(t)
	c := s.dial(t, p.addr)
	const n = 100
	if err := c.Post(ctx(t), postbox.Message{ID: idBlock}); err != nil {
		t.Fatal(err)
	}
	p.expect(t, "handling")
	for i := range n {
		if err := c.Post(ctx(t), postbox.Message{W: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	p.kill()
	err := c.Flush(ctx(t))
	var lost *postbox.LostError
	if !errors.As(err, &lost) || !errors.Is(err, postbox.ErrPeerGone) {
		t.Fatalf("Flush after the receiver died: %v, want a *LostError wrapping ErrPeerGone", err)
	}
	if lost.Count != n+1 {
		t.Fatalf("LostError counts %d unconfirmed posts, want %d (none was confirmed)", lost.Count, n+1)
	}
	if err := c.Close(); !errors.As(err, &lost) {
		t.Fatalf("Close after the receiver died: %v, want the *LostError again", err)
	}
})
