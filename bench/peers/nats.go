package peers

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/postbox-ipc/postbox/internal/bench"
)

// NATS request/reply through an nats-server embedded in the child, over
// loopback TCP: the client publishes a request, the server routes it to the
// responder's connection, and the reply comes back the same way.
func natsCase() bench.Case {
	return bench.Case{
		Name: "nats", Group: bench.GroupPeer, Shared: true,
		Note:  "nats.go v1.55.0 request/reply (and publish) via an embedded nats-server v2.15.2 over loopback TCP, one shared Conn",
		Serve: func(_ context.Context, p bench.Params) (bench.Server, error) { return serveNATS(p.MaxSize) },
		Dial:  dialNATS,
	}
}

const (
	natsEcho = "pbb.echo"
	natsPost = "pbb.post"
)

type natsServer struct {
	ns   *server.Server
	nc   *nats.Conn
	recv atomic.Int64
}

// startNATSServer starts an embedded nats-server on a random loopback port
// with opts (limits) and waits until it takes connections.
func startNATSServer(opts *server.Options) (*server.Server, error) {
	opts.Host, opts.Port, opts.NoLog, opts.NoSigs = "127.0.0.1", server.RANDOM_PORT, true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, err
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("peers: nats-server did not start")
	}
	return ns, nil
}

func serveNATS(maxSize int) (*natsServer, error) {
	ns, err := startNATSServer(&server.Options{
		MaxPayload: int32(maxSize + 1<<10), MaxPending: int64(64 * (maxSize + 1<<10))})
	if err != nil {
		return nil, err
	}
	s := &natsServer{ns: ns}
	if err := s.respond(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// respond connects the responder: echo on one subject; count posts on the
// other, answering the empty request that flushes them.
func (s *natsServer) respond() error {
	nc, err := nats.Connect(s.ns.ClientURL())
	if err != nil {
		return err
	}
	s.nc = nc
	if _, err := nc.Subscribe(natsEcho, func(m *nats.Msg) { _ = m.Respond(m.Data) }); err != nil {
		return err
	}
	sub, err := nc.Subscribe(natsPost, func(m *nats.Msg) {
		if m.Reply != "" {
			_ = m.Respond(nil)
			return
		}
		s.recv.Add(1)
	})
	if err != nil {
		return err
	}
	if err := sub.SetPendingLimits(-1, -1); err != nil { // never drop a post
		return err
	}
	return nc.Flush()
}

func (s *natsServer) Addr() string    { return s.ns.ClientURL() }
func (s *natsServer) Received() int64 { return s.recv.Load() }
func (s *natsServer) Close() error {
	if s.nc != nil {
		s.nc.Close()
	}
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
	return nil
}

type natsClient struct{ nc *nats.Conn }

func dialNATS(_ context.Context, _ bench.Params, addr string) (bench.Client, error) {
	nc, err := nats.Connect(addr)
	if err != nil {
		return nil, err
	}
	return &natsClient{nc: nc}, nil
}

func (c *natsClient) Send(ctx context.Context, p []byte) error {
	m, err := c.nc.RequestWithContext(ctx, natsEcho, p)
	if err != nil {
		return err
	}
	return checkEcho(len(m.Data), len(p))
}

func (c *natsClient) Post(_ context.Context, p []byte) error { return c.nc.Publish(natsPost, p) }

// Flush sends a request on the posts' subject: it is answered after every
// earlier post, which the one subscriber handles in order.
func (c *natsClient) Flush(ctx context.Context) error {
	_, err := c.nc.RequestWithContext(ctx, natsPost, nil)
	return err
}

func (c *natsClient) Close() error {
	c.nc.Close()
	return nil
}
