package conformance

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// PipelinedAnswerOutrunsSlowHandler writes two Sends in one write: the
// first handler answers at once, the second waits until the client has
// read that answer. An endpoint that writes the answers to one read in one
// write (a reader that holds them until it has handled what it read) must
// still let the first one go while the second handler runs: holding it
// until then would deadlock here, and the test fails when its deadline
// passes.
var _ = add("PipelinedAnswerOutrunsSlowHandler", func(t *testing.T, s *suite) {
	firstRead := make(chan struct{})
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		if m.W == 2 { // not watching ctx, which would hand reading on at once
			select {
			case <-firstRead:
			case <-time.After(10 * time.Second):
			}
		}
		return postbox.Reply{Result: m.W}, nil
	})
	raw := rawSession(t, s, h)
	one := frame(wire.Header{Kind: wire.KindSend, ID: uint32(postbox.User), Seq: 1, W: 1}, nil)
	two := frame(wire.Header{Kind: wire.KindSend, ID: uint32(postbox.User), Seq: 2, W: 2}, nil)
	if _, err := raw.Write(cat(one, two)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	h1 := readReply(t, raw)
	waited := time.Since(start)
	close(firstRead)
	h2 := readReply(t, raw)
	if h1.Seq != 1 || h1.W != 1 || h2.Seq != 2 || h2.W != 2 {
		t.Fatalf("answers %+v then %+v, want seq 1 (W 1) then seq 2 (W 2)", h1, h2)
	}
	t.Logf("the first answer came after %v while the second handler waited for it", waited)
})

// rawSession serves h and returns a handshaken byte stream to it, with a
// 10 s deadline, closed when the test ends; it skips the test on a
// transport without one.
func rawSession(t *testing.T, s *suite, h postbox.Handler) net.Conn {
	t.Helper()
	if s.Raw == nil {
		t.Skip("the transport has no byte stream to write frames to by hand")
	}
	ep, _ := s.listen(t, h)
	raw, err := s.Raw(ctx(t), ep)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	Handshake(t, raw, ep.Name())
	return raw
}

// readReply reads one frame, which must be a Reply.
func readReply(t *testing.T, c io.Reader) wire.Header {
	t.Helper()
	hb := make([]byte, wire.HeaderSize)
	if _, err := io.ReadFull(c, hb); err != nil {
		t.Fatalf("no answer: %v", err)
	}
	var h wire.Header
	if err := h.Decode(hb, 1<<20); err != nil {
		t.Fatalf("endpoint sent a bad frame: %v", err)
	}
	if _, err := io.CopyN(io.Discard, c, int64(h.Len)); err != nil {
		t.Fatal(err)
	}
	if h.Kind != wire.KindReply {
		t.Fatalf("got a %s frame, want a reply", h.Kind)
	}
	return h
}

// PipelinedAnswerOutrunsPartialFrame writes a Send and the first half of
// a second one in one write: the first answer must come before the rest
// of the second frame is sent. An endpoint that held it until the frame
// behind it was whole would wait here until the deadline.
var _ = add("PipelinedAnswerOutrunsPartialFrame", func(t *testing.T, s *suite) {
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Result: m.W}, nil
	})
	raw := rawSession(t, s, h)
	one := frame(wire.Header{Kind: wire.KindSend, ID: uint32(postbox.User), Seq: 1, W: 1}, nil)
	two := frame(wire.Header{Kind: wire.KindSend, ID: uint32(postbox.User), Seq: 2, W: 2}, make([]byte, 1000))
	if _, err := raw.Write(cat(one, two[:len(two)/2])); err != nil {
		t.Fatal(err)
	}
	if h1 := readReply(t, raw); h1.Seq != 1 || h1.W != 1 {
		t.Fatalf("first answer %+v, want seq 1 (W 1)", h1)
	}
	if _, err := raw.Write(two[len(two)/2:]); err != nil {
		t.Fatal(err)
	}
	if h2 := readReply(t, raw); h2.Seq != 2 || h2.W != 2 {
		t.Fatalf("second answer %+v, want seq 2 (W 2)", h2)
	}
})
