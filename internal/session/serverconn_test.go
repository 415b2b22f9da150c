package session

import (
	"bytes"
	"context"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/stats"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// A goaway from the sender ends its connection as a close does: the
// endpoint answers nothing more, counts no protocol error, and the posts
// it accepted before are still handled.
func TestSenderGoawayIsAClose(t *testing.T) {
	handled := make(chan string, 1)
	loop := dispatch.New(func(ctx context.Context, m *transport.Message) (transport.Reply, error) {
		handled <- string(m.Data)
		return transport.Reply{}, nil
	}, dispatch.Config{})
	ln := newOneListener()
	srv := Serve(ln, loop, &driver.ListenConfig{Name: "fuzz", HandshakeTimeout: time.Second}, nil)
	defer loop.Close()
	defer srv.Close()

	client, server := unixPair(t)
	ln.ch <- server
	client.Write(validHello())
	if w, err := wire.ReadWelcome(client); err != nil || w.Status != wire.StatusOK {
		t.Fatalf("handshake: %+v, %v", w, err)
	}
	out := append(frame(wire.Header{Kind: wire.KindPost, ID: 7}, "before"),
		frame(wire.Header{Kind: wire.KindGoaway, ID: uint32(transport.CodeClosed)}, "client closing")...)
	client.Write(out)
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	rest, err := io.ReadAll(client)
	if err != nil {
		t.Fatalf("waiting for the endpoint to close: %v", err)
	}
	// Only credit for the post may come back: no goaway.
	fr := newFrameReader(bytes.NewReader(rest), 1<<20)
	for {
		h, p, err := fr.next(func(n int) []byte { return make([]byte, n) })
		if err != nil {
			break
		}
		if h.Kind == wire.KindGoaway {
			t.Fatalf("the endpoint answered a goaway with goaway %d %q", h.ID, p)
		}
	}
	if got := <-handled; got != "before" {
		t.Fatalf("handled %q", got)
	}
	var st stats.Endpoint
	loop.Snapshot(&st)
	if n := st.Errors[stats.KindProtocol.String()]; n != 0 {
		t.Fatalf("a sender's goaway counted %d protocol errors", n)
	}
}

// unixPair returns the two ends of a Unix socket connection; the client's
// end is closed at cleanup, the server's belongs to whoever serves it.
func unixPair(t *testing.T) (client, server *net.UnixConn) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err = net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err = l.AcceptUnix()
	if err != nil {
		t.Fatal(err)
	}
	return client, server
}
