package peers

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/bench"
	_ "github.com/postbox-ipc/postbox/transport/nats" // the nats:// transport
)

// Postbox's own NATS transport (module transport/nats), measured like the
// "nats" peer — the same embedded server, loopback TCP, one shared Conn —
// so the two compare directly. It replaces the automatic "nats" Postbox
// case, which would have no server to listen through.
func postboxNATSCase() bench.Case {
	return bench.Case{
		Name: "postbox-nats", Group: bench.GroupPostbox, Scheme: "nats", Shared: true,
		Note: "Postbox nats://: Conn.Send / Conn.Post through an embedded nats-server v2.15.2 over loopback TCP, one shared Conn",
		Serve: func(ctx context.Context, p bench.Params) (bench.Server, error) {
			return servePostboxNATS(ctx, p)
		},
		Dial: func(ctx context.Context, p bench.Params, addr string) (bench.Client, error) {
			c, err := postbox.Dial(ctx, addr)
			if err != nil {
				return nil, err
			}
			return &pbNATSClient{c: c}, nil
		},
	}
}

func init() { bench.Register(postboxNATSCase()) }

type pbNATSServer struct {
	ns   *server.Server
	ep   *postbox.Endpoint
	recv atomic.Int64
}

func servePostboxNATS(ctx context.Context, p bench.Params) (*pbNATSServer, error) {
	ns, err := startNATSServer(&server.Options{
		MaxPayload: int32(p.MaxSize + 2<<10)}) // the default MaxPending (64 MiB): credit keeps under it
	if err != nil {
		return nil, err
	}
	s := &pbNATSServer{ns: ns}
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		if m.ID == postbox.User+1 { // posted
			s.recv.Add(1)
			return postbox.Reply{}, nil
		}
		return postbox.Reply{Result: int64(len(m.Data)), Data: m.Data}, nil
	})
	lc := postbox.ListenConfig{MaxSize: max(p.MaxSize, 1)}
	if s.ep, err = lc.Listen(ctx, "nats://"+ns.Addr().String()+"/"+p.Name, h); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *pbNATSServer) Addr() string    { return s.ep.Addrs()[0] }
func (s *pbNATSServer) Received() int64 { return s.recv.Load() }

func (s *pbNATSServer) Close() error {
	var err error
	if s.ep != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = s.ep.Shutdown(ctx)
		cancel()
	}
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
	return err
}

type pbNATSClient struct{ c *postbox.Conn }

func (c *pbNATSClient) Send(ctx context.Context, p []byte) error {
	rep, err := c.c.Send(ctx, postbox.Message{ID: postbox.User, Data: p})
	if err != nil {
		return err
	}
	return checkEcho(len(rep.Data), len(p))
}

func (c *pbNATSClient) Post(ctx context.Context, p []byte) error {
	return c.c.Post(ctx, postbox.Message{ID: postbox.User + 1, Data: p})
}

func (c *pbNATSClient) Flush(ctx context.Context) error { return c.c.Flush(ctx) }
func (c *pbNATSClient) Close() error                    { return c.c.Close() }
