package session

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/stats"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// heldWrite is the server's side of a connection whose first large Write
// puts its bytes on the wire and then does not return until release is
// closed: a write whose bytes the peer has read while the writing
// goroutine has not yet run on.
type heldWrite struct {
	net.Conn
	once    sync.Once
	release chan struct{}
}

func (c *heldWrite) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n >= directMin {
		c.once.Do(func() {
			select {
			case <-c.release:
			case <-time.After(10 * time.Second):
			}
		})
	}
	return n, err
}

// A client that has read an answer has its credit back, and may send
// again at once, even while the server's write of that answer has yet to
// return: the endpoint must not count the answered Send against the
// window then, and take the new Sends for a sender past its credit.
func TestCreditReturnsBeforeTheWriteReturns(t *testing.T) {
	const size = 128 << 10 // written straight from the handler's slice
	loop := dispatch.New(func(_ context.Context, m *transport.Message) (transport.Reply, error) {
		return transport.Reply{Data: m.Data}, nil
	}, dispatch.Config{})
	ln := newOneListener()
	srv := Serve(ln, loop, &driver.ListenConfig{Name: "credit", HandshakeTimeout: time.Second, QueueBytes: 2 * size, MaxSize: size}, nil)
	defer loop.Close()
	defer srv.Close()

	client, server := unixPair(t)
	held := &heldWrite{Conn: server, release: make(chan struct{})}
	ln.ch <- held
	client.Write(wire.AppendHello(nil, &wire.Hello{Version: wire.Version, PID: 1, MaxSize: 1 << 20, Name: "credit"}))
	if w, err := wire.ReadWelcome(client); err != nil || w.Status != wire.StatusOK || w.CreditBytes != 2*size {
		t.Fatalf("handshake: %+v, %v", w, err)
	}
	client.SetReadDeadline(time.Now().Add(20 * time.Second))
	fr := newFrameReader(client, 1<<20)
	payload := bytes.Repeat([]byte{'x'}, size)
	send := func(seq uint64) []byte {
		return frame(wire.Header{Kind: wire.KindSend, ID: 7, Seq: seq}, string(payload))
	}
	answer := func() wire.Header {
		t.Helper()
		h, p, err := fr.next(func(n int) []byte { return make([]byte, n) })
		if err != nil {
			t.Fatalf("reading an answer: %v", err)
		}
		if h.Kind != wire.KindReply || len(p) != size {
			t.Fatalf("want a reply of %d bytes, got %s %d %q", size, h.Kind, len(p), p[:min(len(p), 80)])
		}
		return h
	}
	client.Write(send(1))
	if h := answer(); h.Seq != 1 { // all of it read; the server's Write has not returned
		t.Fatalf("answer to %d, want 1", h.Seq)
	}
	client.Write(append(send(2), send(3)...)) // the whole window, none of it used
	// Other readers take over from the held one and read both; the held
	// write is released only once the endpoint has taken them, or refused
	// one as past the credit.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		var st stats.Endpoint
		loop.Snapshot(&st)
		if st.Sends >= 3 || st.Errors[stats.KindProtocol.String()] > 0 || time.Now().After(deadline) {
			break
		}
	}
	close(held.release)
	got := map[uint64]bool{}
	for range 2 {
		got[answer().Seq] = true
	}
	if !got[2] || !got[3] {
		t.Fatalf("answers to %v, want 2 and 3", got)
	}
}
