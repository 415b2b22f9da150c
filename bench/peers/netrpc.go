package peers

import (
	"context"
	"net"
	"net/rpc"
	"path/filepath"
	"sync"

	"github.com/postbox-ipc/postbox/internal/bench"
)

// net/rpc (gob) over a Unix socket: one multiplexed client shared by the
// callers, as the package intends.
func netRPCCase() bench.Case {
	return bench.Case{
		Name: "net-rpc", Group: bench.GroupPeer, Shared: true, SendOnly: true,
		Note: "the standard library's net/rpc (gob) over a Unix socket, one shared Client",
		Serve: func(ctx context.Context, p bench.Params) (bench.Server, error) {
			return serveNetRPC(ctx, filepath.Join(p.Dir, p.Name+".sock"))
		},
		Dial: func(ctx context.Context, _ bench.Params, addr string) (bench.Client, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, "unix", addr)
			if err != nil {
				return nil, err
			}
			return &netRPCClient{c: rpc.NewClient(c)}, nil
		},
	}
}

// Echo is the net/rpc service.
type Echo struct{}

// Echo answers with the request.
func (Echo) Echo(req []byte, reply *[]byte) error {
	*reply = req
	return nil
}

type netRPCServer struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func serveNetRPC(ctx context.Context, path string) (*netRPCServer, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	srv := rpc.NewServer()
	if err := srv.RegisterName("E", Echo{}); err != nil {
		ln.Close()
		return nil, err
	}
	s := &netRPCServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Go(func() { srv.ServeConn(c) })
		}
	}()
	return s, nil
}

func (s *netRPCServer) Addr() string    { return s.ln.Addr().String() }
func (s *netRPCServer) Received() int64 { return 0 }
func (s *netRPCServer) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

type netRPCClient struct {
	sendOnly
	c *rpc.Client
}

func (c *netRPCClient) Send(ctx context.Context, p []byte) error {
	var out []byte
	call := c.c.Go("E.Echo", p, &out, make(chan *rpc.Call, 1))
	select {
	case <-call.Done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if call.Error != nil {
		return call.Error
	}
	return checkEcho(len(out), len(p))
}

func (c *netRPCClient) Close() error { return c.c.Close() }
