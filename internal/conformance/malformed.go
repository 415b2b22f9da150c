package conformance

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

func header(h wire.Header) []byte {
	b := make([]byte, wire.HeaderSize)
	h.Put(b)
	return b
}

// MalformedInput sends every entry of the corpus (badinput.go) on a
// connection of its own while another client keeps sending, and checks
// that the connection ends with the entry's reason and the other client
// never notices.
var _ = add("MalformedInput", func(t *testing.T, s *suite) {
	if s.Raw == nil {
		t.Skip("the transport has no byte stream to corrupt")
	}
	ep, addr := s.listen(t, echo, func(lc *postbox.ListenConfig) { lc.MaxSize = badMaxSize })
	good := s.dial(t, addr)
	stop := make(chan struct{})
	bystander := make(chan error, 1)
	go func() { bystander <- keepSending(good, stop) }()
	for _, bi := range badInputs {
		t.Run(bi.name, func(t *testing.T) {
			target := ep
			if bi.stalled {
				target = s.stalledEndpoint(t)
			}
			s.tryBadInput(t, target, bi)
		})
	}
	close(stop)
	if err := <-bystander; err != nil {
		t.Fatalf("a well-behaved client on the same endpoint: %v", err)
	}
	if len(badInputs) < 50 {
		t.Errorf("the corpus has %d entries, want at least 50", len(badInputs))
	}
})

// keepSending sends checked messages until stop closes.
func keepSending(c *postbox.Conn, stop <-chan struct{}) error {
	for i := 0; ; i++ {
		select {
		case <-stop:
			if i == 0 {
				return errors.New("sent nothing")
			}
			return nil
		default:
		}
		c2, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := checkedSend(c2, c, 99, i)
		cancel()
		if err != nil {
			return err
		}
	}
}

// stalledEndpoint listens with a handler that holds every message until
// the test ends, and a queue of badQueueLen messages.
func (s *suite) stalledEndpoint(t *testing.T) *postbox.Endpoint {
	release := make(chan struct{})
	h := postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return postbox.Reply{}, nil
	})
	ep, _ := s.listen(t, h, func(lc *postbox.ListenConfig) {
		lc.MaxSize, lc.QueueLen, lc.QueueBytes = badMaxSize, badQueueLen, 1
	})
	t.Cleanup(func() { close(release) })
	return ep
}

// tryBadInput sends one entry and checks the endpoint's reaction.
func (s *suite) tryBadInput(t *testing.T, ep *postbox.Endpoint, bi badInput) {
	t.Helper()
	dial := s.Raw
	if bi.phase == phaseHello && s.RawHandshake != nil {
		dial = s.RawHandshake
	}
	raw, err := dial(ctx(t), ep)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	if bi.phase == phaseFrames {
		Handshake(t, raw, ep.Name())
	}
	if in := bi.input(ep.Name()); len(in) > 0 {
		if _, err := raw.Write(in); err != nil {
			t.Fatal(err)
		}
	}
	if bi.half {
		closeWrite(raw)
	}
	switch {
	case bi.want.goaway != 0:
		if code := ReadGoaway(t, raw); code != bi.want.goaway {
			t.Fatalf("endpoint answered with goaway code %d, want %d", code, bi.want.goaway)
		}
	case bi.want.silent:
		if n, err := io.ReadFull(raw, make([]byte, 1)); err == nil || os.IsTimeout(err) {
			t.Fatalf("got %d bytes back and the connection stayed open (%v), want it closed without an answer", n, err)
		}
	default:
		w, err := wire.ReadWelcome(raw)
		if err != nil || w.Status != bi.want.status {
			t.Fatalf("welcome %+v (%v), want status %d", w, err, bi.want.status)
		}
		if n, err := raw.Read(make([]byte, 1)); n != 0 || err == nil {
			t.Fatalf("connection still open after a refusal")
		}
	}
}

// closeWrite shuts the writing half of c, or all of it.
func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		return
	}
	c.Close()
}

// Handshake performs a client handshake by hand, for tests that write
// frames themselves.
func Handshake(t *testing.T, c io.ReadWriter, name string) {
	t.Helper()
	hello := wire.Hello{Version: wire.Version, PID: uint32(os.Getpid()), MaxSize: 1 << 20, Name: name}
	if _, err := c.Write(wire.AppendHello(nil, &hello)); err != nil {
		t.Fatal(err)
	}
	w, err := wire.ReadWelcome(c)
	if err != nil || w.Status != wire.StatusOK {
		t.Fatalf("handshake: %v %+v", err, w)
	}
}

// ReadGoaway reads frames until a Goaway and returns its code; the stream
// must then end.
func ReadGoaway(t *testing.T, c io.Reader) transport.Code {
	t.Helper()
	hb := make([]byte, wire.HeaderSize)
	for {
		if _, err := io.ReadFull(c, hb); err != nil {
			t.Fatalf("connection ended without a goaway frame: %v", err)
		}
		var h wire.Header
		if err := h.Decode(hb, 1<<20); err != nil {
			t.Fatalf("endpoint sent a bad frame: %v", err)
		}
		if _, err := io.CopyN(io.Discard, c, int64(h.Len)); err != nil {
			t.Fatal(err)
		}
		if h.Kind == wire.KindGoaway {
			if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
				t.Fatalf("connection still open after goaway")
			}
			return transport.Code(h.ID)
		}
	}
}
