package shm_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/conformance"
	"github.com/postbox-ipc/postbox/internal/shm"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// A hostile client that writes the region by hand: it can rewrite a
// payload after sending its descriptor, and reuse a buffer before the
// endpoint gave it back.

// hostileArena dials ep's socket, upgrades to shared memory and returns the
// raw stream and the region's Conn, whose arena the test fills by hand.
func hostileArena(t *testing.T, ep *postbox.Endpoint) (*rawShm, *shm.Conn) {
	t.Helper()
	c, err := net.Dial("unix", socketPath(ep))
	if err != nil {
		t.Fatal(err)
	}
	raw := newRawShm(c.(*net.UnixConn))
	t.Cleanup(func() { raw.Close() })
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	conformance.Handshake(t, raw, ep.Name())
	return raw, raw.ring.(*shm.Conn)
}

// sendShared writes a Send frame for the payload at off, n bytes long.
func sendShared(t *testing.T, raw io.Writer, seq, off, n uint64) {
	t.Helper()
	d := make([]byte, wire.SharedSize)
	wire.PutShared(d, off, n)
	h := wire.Header{Kind: wire.KindSend, ID: 1, Seq: seq, Flags: wire.FlagShared, Len: wire.SharedSize}
	b := make([]byte, wire.HeaderSize)
	h.Put(b)
	if _, err := raw.Write(append(b, d...)); err != nil {
		t.Fatal(err)
	}
}

// TestRewrittenPayloadStaysStableForTheHandler has the client keep
// rewriting its payload after sending it. A handler without InPlace was
// promised stable bytes: what it reads does not change while it runs.
func TestRewrittenPayloadStaysStableForTheHandler(t *testing.T) {
	privateNamespace(t)
	changed := make(chan bool, 1)
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		first := bytes.Clone(m.Data)
		time.Sleep(50 * time.Millisecond) // the client rewrites meanwhile
		changed <- !bytes.Equal(first, m.Data)
		return postbox.Reply{}, nil
	})
	ep, err := postbox.Listen("shm:stable", h)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	raw, conn := hostileArena(t, ep)
	b := conn.Borrow(1 << 20)
	off, ok, err := conn.Share(b)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for i := byte(0); ; i++ {
			select {
			case <-stop:
				return
			default:
				b[int(i)*997%len(b)] = i
			}
		}
	}()
	defer func() { // the writer must be done before the region is unmapped
		close(stop)
		<-stopped
	}()
	sendShared(t, raw, 1, off, uint64(len(b)))
	if <-changed {
		t.Fatal("the bytes changed under a handler that was promised stable ones")
	}
}

// TestReusedBufferEndsTheConnection sends a second descriptor over pages
// an InPlace handler still holds: the endpoint ends the connection with a
// protocol error, and other clients carry on.
func TestReusedBufferEndsTheConnection(t *testing.T) {
	privateNamespace(t)
	release := make(chan struct{})
	defer close(release)
	h := postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		if m.ID == 1 {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return postbox.Reply{Result: int64(len(m.Data))}, nil
	})
	ep, err := postbox.Listen("shm:reuse", h, postbox.WithInPlace())
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	raw, conn := hostileArena(t, ep)
	b := conn.Borrow(64 << 10)
	off, _, _ := conn.Share(b)
	sendShared(t, raw, 1, off, uint64(len(b)))
	sendShared(t, raw, 2, off+100, 10) // the same pages, not given back
	if code := conformance.ReadGoaway(t, raw); code != transport.CodeProtocol {
		t.Fatalf("goaway code %d, want %d (protocol)", code, transport.CodeProtocol)
	}
	good, err := postbox.Dial(context.Background(), "shm:reuse")
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	if rep, err := good.Send(context.Background(), postbox.Message{ID: 2, Data: make([]byte, 1<<20)}); err != nil || rep.Result != 1<<20 {
		t.Fatalf("another client: %+v, %v", rep, err)
	}
}
