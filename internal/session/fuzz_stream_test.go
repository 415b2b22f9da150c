package session

import (
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// The stream fuzz targets run the real session — a Server with its loop,
// or a Client — against a peer that says whatever the fuzzer chose, split
// at arbitrary points, over Unix sockets (whose write side can be shut, so
// that every input ends promptly with EOF).

const fuzzMax = 1 << 12

// socketPairs hands out connected pairs of Unix sockets from one listener.
type socketPairs struct {
	ln   *net.UnixListener
	path string
}

func newSocketPairs(f *testing.F) *socketPairs {
	path := filepath.Join(f.TempDir(), "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ln.Close() })
	return &socketPairs{ln: ln, path: path}
}

// pair returns a new connection and the listener's end of it.
func (p *socketPairs) pair(t *testing.T) (near, far *net.UnixConn) {
	near, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: p.path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	far, err = p.ln.AcceptUnix()
	if err != nil {
		t.Fatal(err)
	}
	return near, far
}

// oneListener is a net.Listener that yields the connections sent to it.
type oneListener struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newOneListener() *oneListener {
	return &oneListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *oneListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *oneListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *oneListener) Addr() net.Addr { return &net.UnixAddr{Net: "unix"} }

// hangGuard fails loudly if fn does not return within d: a hang is a bug
// the fuzzer must report, not wait out.
func hangGuard(d time.Duration, fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		buf := make([]byte, 1<<20)
		panic("hung; goroutines:\n" + string(buf[:runtime.Stack(buf, true)]))
	}
}

// writeChunks writes data to w in pieces whose sizes the fuzzer chose.
func writeChunks(w io.Writer, data, sizes []byte) {
	for len(data) > 0 {
		n := 1
		if len(sizes) > 0 {
			n = int(sizes[0])%97 + 1
			sizes = sizes[1:]
		}
		n = min(n, len(data))
		if _, err := w.Write(data[:n]); err != nil {
			return
		}
		data = data[n:]
	}
}

func validHello() []byte {
	return wire.AppendHello(nil, &wire.Hello{Version: wire.Version, PID: 1, MaxSize: fuzzMax, Name: "fuzz"})
}

// FuzzServerStream: an endpoint fed any bytes — after a valid Hello or
// instead of one — never panics or hangs, only ever sends well-formed
// frames, and keeps serving: one endpoint takes every input, each on a
// connection of its own.
func FuzzServerStream(f *testing.F) {
	post := frame(wire.Header{Kind: wire.KindPost, ID: 7}, "posted")
	send := frame(wire.Header{Kind: wire.KindSend, ID: 7, Seq: 1, Timeout: 1e9}, "sent")
	sync := frame(wire.Header{Kind: wire.KindSync, Seq: 2}, "")
	cancel := frame(wire.Header{Kind: wire.KindCancel, Seq: 1}, "")
	f.Add(true, append(append(append(post, send...), sync...), cancel...), []byte{3, 50, 1})
	f.Add(true, frame(wire.Header{Kind: wire.KindSend, ID: 1, Seq: 9}, "panic"), []byte{})
	f.Add(true, frame(wire.Header{Kind: wire.KindPost, Len: 0xFFFFFFFF}, ""), []byte{0})
	f.Add(false, validHello(), []byte{1})
	f.Add(false, []byte("GET / HTTP/1.1\r\n\r\n"), []byte{5})
	pairs := newSocketPairs(f)
	loop := dispatch.New(func(ctx context.Context, m *transport.Message) (transport.Reply, error) {
		if string(m.Data) == "panic" {
			panic("fuzz")
		}
		return transport.Reply{Result: m.W, Data: m.Data}, nil
	}, dispatch.Config{})
	ln := newOneListener()
	srv := Serve(ln, loop, &driver.ListenConfig{Name: "fuzz", MaxSize: fuzzMax, QueueLen: 8,
		QueueBytes: 4 * fuzzMax, HandshakeTimeout: time.Second}, nil)
	f.Cleanup(func() {
		srv.Close()
		loop.Close()
	})
	f.Fuzz(func(t *testing.T, hello bool, data, sizes []byte) {
		hangGuard(10*time.Second, func() {
			client, server := pairs.pair(t)
			defer client.Close()
			ln.ch <- server
			read := make(chan error, 1)
			go func() { read <- readAll(client) }()
			if hello {
				client.Write(validHello())
			}
			writeChunks(client, data, sizes)
			client.CloseWrite() // the endpoint sees the end, and must end too
			if err := <-read; err != nil {
				t.Fatal(err)
			}
		})
	})
}

// readAll reads what a server sends: a Welcome, then frames, each of which
// must be well formed. It returns nil when the stream ends or stalls.
func readAll(c net.Conn) error {
	w, err := wire.ReadWelcome(c)
	if err != nil {
		if errors.Is(err, wire.ErrMalformed) {
			return err
		}
		return nil
	}
	if w.Status != wire.StatusOK {
		io.Copy(io.Discard, c)
		return nil
	}
	fr := newFrameReader(c, fuzzMax)
	for {
		h, _, err := fr.next(func(n int) []byte { return make([]byte, n) })
		switch {
		case err == nil:
			if h.Kind == wire.KindSend || h.Kind == wire.KindPost || h.Kind == wire.KindCancel || h.Kind == wire.KindSync {
				return errors.New("the server sent a " + h.Kind.String() + " frame")
			}
		case errors.Is(err, transport.ErrProtocol), errors.Is(err, transport.ErrTooLarge):
			return errors.New("the server sent a malformed frame: " + err.Error())
		default:
			return nil
		}
	}
}

// FuzzClientStream: a client whose server answers the handshake and then
// says anything never panics or hangs; Send, Post, Flush and Close all
// return, with errors of the package's kinds.
func FuzzClientStream(f *testing.F) {
	reply := frame(wire.Header{Kind: wire.KindReply, Seq: 1, W: 42}, "re")
	credit := frame(wire.Header{Kind: wire.KindCredit, ID: 1}, "")
	ack := frame(wire.Header{Kind: wire.KindSyncAck, Seq: 2, W: 1}, "")
	f.Add(true, append(append(reply, credit...), ack...), []byte{7})
	f.Add(true, frame(wire.Header{Kind: wire.KindError, ID: 99, Seq: 1}, "unknown code"), []byte{})
	f.Add(true, frame(wire.Header{Kind: wire.KindCredit, ID: 1 << 30, W: 1 << 62}, ""), []byte{1})
	f.Add(true, frame(wire.Header{Kind: wire.KindGoaway, ID: 7}, "bye"), []byte{2})
	f.Add(false, wire.AppendWelcome(nil, &wire.Welcome{Version: wire.Version, Status: wire.StatusDenied, Reason: "no"}), []byte{})
	pairs := newSocketPairs(f)
	f.Fuzz(func(t *testing.T, welcome bool, data, sizes []byte) {
		hangGuard(10*time.Second, func() { clientFuzz(t, pairs, welcome, data, sizes) })
	})
}

func clientFuzz(t *testing.T, pairs *socketPairs, welcome bool, data, sizes []byte) {
	client, server := pairs.pair(t)
	defer server.Close()
	go func() {
		if _, err := wire.ReadHello(server); err != nil {
			return
		}
		if welcome {
			server.Write(wire.AppendWelcome(nil, &wire.Welcome{Version: wire.Version, Status: wire.StatusOK,
				PID: 1, MaxSize: fuzzMax, CreditMsgs: 4, CreditBytes: 4 * fuzzMax}))
		}
		go io.Copy(io.Discard, server) // whatever the client sends
		writeChunks(server, data, sizes)
		server.CloseWrite() // then the client sees the end
	}()
	cfg := &driver.DialConfig{MaxSize: fuzzMax, HandshakeTimeout: time.Second, CloseTimeout: time.Second}
	c, err := Dial(context.Background(), client, "fuzz", transport.UnknownPeer("unix"), cfg)
	if err != nil {
		checkTyped(t, "Dial", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		_, err := c.Send(ctx, transport.Message{ID: 1, Data: []byte("x")})
		checkTyped(t, "Send", err)
	})
	wg.Go(func() {
		err := c.Post(ctx, transport.Message{ID: 2})
		if err == nil {
			err = c.Flush(ctx)
		}
		checkTyped(t, "Post/Flush", err)
	})
	wg.Wait()
	checkTyped(t, "Close", c.Close())
}

// checkTyped fails unless err is nil or one of the kinds the API promises.
func checkTyped(t *testing.T, op string, err error) {
	var re *transport.RemoteError
	var le *transport.LostError
	switch {
	case err == nil, errors.As(err, &re), errors.As(err, &le),
		errors.Is(err, transport.ErrProtocol), errors.Is(err, transport.ErrPeerGone),
		errors.Is(err, transport.ErrTimeout), errors.Is(err, transport.ErrTooLarge),
		errors.Is(err, transport.ErrDenied), errors.Is(err, transport.ErrNoEndpoint),
		errors.Is(err, transport.ErrLimit), errors.Is(err, transport.ErrClosed),
		errors.Is(err, transport.ErrQueueFull), errors.Is(err, context.Canceled):
		return
	}
	t.Errorf("%s: untyped error %v", op, err)
}
