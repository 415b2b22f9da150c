package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/postbox-ipc/postbox"
)

// postboxCases makes one case per registered Postbox transport, so a new
// transport joins the benchmark as soon as its scheme is registered.
func postboxCases() []Case {
	claimed := map[string]bool{}
	regMu.Lock()
	for _, c := range registered {
		claimed[c.Scheme] = c.Scheme != ""
	}
	regMu.Unlock()
	var out []Case
	for _, s := range postbox.Transports() {
		if !claimed[s] {
			out = append(out, postboxCase(s))
		}
		if s == "shm" && !claimed[zeroCopyName] {
			out = append(out, zeroCopyCase())
		}
	}
	return out
}

// zeroCopyName is the case that sends buffers from Conn.Borrow over shm.
const zeroCopyName = "shm-zc"

// zeroCopyCase measures what moving a payload through shared memory costs
// when it is never copied: the request is a buffer from Conn.Borrow, the
// handler reads it in place (ListenConfig.InPlace) and answers with its
// length, no data. The bytes are neither written nor read: an application
// builds its message in the buffer instead of elsewhere.
func zeroCopyCase() Case {
	return Case{
		Name:   zeroCopyName,
		Group:  GroupPostbox,
		Note:   "Postbox shm, zero copy: requests in buffers from Conn.Borrow, read in place (ListenConfig.InPlace); the answer is the length only, not an echo",
		Shared: true,
		Serve: func(ctx context.Context, p Params) (Server, error) {
			return servePostboxWith(ctx, listenAddr("shm", p.Name), p, true)
		},
		Dial: func(ctx context.Context, p Params, addr string) (Client, error) {
			d := postbox.Dialer{MaxSize: bigMax(p.MaxSize)}
			c, err := d.Dial(ctx, addr)
			if err != nil {
				return nil, err
			}
			return zcClient{c}, nil
		},
	}
}

// zcClient sends each payload in a borrowed buffer of the same size.
type zcClient struct{ c *postbox.Conn }

func (c zcClient) Send(ctx context.Context, p []byte) error {
	rep, err := c.c.Send(ctx, postbox.Message{ID: postbox.User, Data: c.c.Borrow(len(p))})
	if err != nil {
		return err
	}
	return checkEcho(int(rep.Result), len(p))
}

func (c zcClient) Post(ctx context.Context, p []byte) error {
	return c.c.Post(ctx, postbox.Message{ID: postbox.User + 1, Data: c.c.Borrow(len(p))})
}

func (c zcClient) Flush(ctx context.Context) error { return c.c.Flush(ctx) }
func (c zcClient) Close() error                    { return c.c.Close() }

func postboxCase(scheme string) Case {
	c := Case{
		Name:   scheme,
		Group:  GroupPostbox,
		Note:   "Postbox " + scheme + ": Conn.Send / Conn.Post through the public API, one shared Conn",
		Local:  scheme == "inproc",
		Shared: true,
		Serve: func(ctx context.Context, p Params) (Server, error) {
			return servePostbox(ctx, listenAddr(scheme, p.Name), p)
		},
		Dial: func(ctx context.Context, p Params, addr string) (Client, error) {
			d := postbox.Dialer{MaxSize: bigMax(p.MaxSize)}
			c, err := d.Dial(ctx, addr)
			if err != nil {
				return nil, err
			}
			return &pbClient{c: c, release: !p.KeepBuffers}, nil
		},
	}
	if c.Local {
		c.Note = "Postbox inproc: same process, no copy (no second process by definition)"
	}
	if scheme == "nats" {
		c.Note = "Postbox nats: Conn.Send / Conn.Post through the NATS server at $NATS_URL, one shared Conn"
		c.Needs = natsServer
	}
	return c
}

// natsServer reports whether a NATS server to measure through is named:
// $NATS_URL, as nats.go's tools read it.
func natsServer() error {
	if u := os.Getenv("NATS_URL"); u == "" || strings.Contains(u, ",") {
		return errors.New("needs one NATS server: set NATS_URL=nats://HOST:PORT (or run bench/peers' peerbench, which embeds one: --transports postbox-nats)")
	}
	return nil
}

// listenAddr is the address a transport's endpoint listens on: "SCHEME:NAME"
// unless the scheme needs a host and port.
func listenAddr(scheme, name string) string {
	switch scheme {
	case "tcp":
		return "tcp://127.0.0.1:0/" + name
	case "nats":
		return strings.TrimSuffix(os.Getenv("NATS_URL"), "/") + "/" + name
	}
	return scheme + ":" + name
}

type pbServer struct {
	ep   *postbox.Endpoint
	recv atomic.Int64
}

func servePostbox(ctx context.Context, addr string, p Params) (*pbServer, error) {
	return servePostboxWith(ctx, addr, p, false)
}

// servePostboxWith is servePostbox; lengthOnly answers a Send with its
// length and no data, and reads payloads in place (zeroCopyCase).
func servePostboxWith(ctx context.Context, addr string, p Params, lengthOnly bool) (*pbServer, error) {
	s := &pbServer{}
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		if m.ID == postbox.User+1 { // posted
			s.recv.Add(1)
			return postbox.Reply{}, nil
		}
		if lengthOnly {
			return postbox.Reply{Result: int64(len(m.Data))}, nil
		}
		return postbox.Reply{Result: int64(len(m.Data)), Data: m.Data}, nil
	})
	// The endpoint lends Data for the call and the client releases its
	// replies, as the raw baselines reuse one buffer: Postbox set up for
	// throughput, as docs/BENCHMARKS.md says (-keep-buffers: the defaults).
	lc := postbox.ListenConfig{MaxSize: bigMax(p.MaxSize), ReuseBuffers: !p.KeepBuffers, InPlace: lengthOnly}
	ep, err := lc.Listen(ctx, addr, h)
	if err != nil {
		return nil, err
	}
	s.ep = ep
	return s, nil
}

func (s *pbServer) Addr() string    { return s.ep.Addrs()[0] }
func (s *pbServer) Received() int64 { return s.recv.Load() }

// Close drains the endpoint: Flush only waits until posts are accepted
// (queued), so some may still wait for the handler.
func (s *pbServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.ep.Shutdown(ctx)
}

type pbClient struct {
	c       *postbox.Conn
	release bool // give replies back (Reply.Release)
}

func (c *pbClient) Send(ctx context.Context, p []byte) error {
	rep, err := c.c.Send(ctx, postbox.Message{ID: postbox.User, Data: p})
	if err != nil {
		return err
	}
	if c.release {
		defer rep.Release()
	}
	return checkEcho(len(rep.Data), len(p))
}

func (c *pbClient) Post(ctx context.Context, p []byte) error {
	return c.c.Post(ctx, postbox.Message{ID: postbox.User + 1, Data: p})
}

func (c *pbClient) Flush(ctx context.Context) error { return c.c.Flush(ctx) }
func (c *pbClient) Close() error                    { return c.c.Close() }

// checkEcho fails a round trip whose answer has the wrong length.
func checkEcho(got, want int) error {
	if got != want {
		return fmt.Errorf("bench: echo of %d bytes for a %d-byte request", got, want)
	}
	return nil
}

// bigMax is a MaxSize setting that admits n-byte payloads: zero (the 16 MiB
// default) unless n is larger.
func bigMax(n int) int {
	if n <= 16<<20 {
		return 0
	}
	return n
}
