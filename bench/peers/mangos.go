package peers

import (
	"context"
	"path/filepath"
	"sync"
	"time"

	"github.com/postbox-ipc/postbox/internal/bench"
	"go.nanomsg.org/mangos/v3"
	"go.nanomsg.org/mangos/v3/protocol/rep"
	"go.nanomsg.org/mangos/v3/protocol/req"
	_ "go.nanomsg.org/mangos/v3/transport/ipc" // ipc://
)

// mangosWorkers is how many REP contexts answer at once, so concurrent
// callers are not serialized by the server.
const mangosWorkers = 8

// mangos REQ/REP over ipc:// (a Unix socket): one REQ socket per caller.
func mangosCase() bench.Case {
	return bench.Case{
		Name: "mangos", Group: bench.GroupPeer, SendOnly: true,
		Note: "go.nanomsg.org/mangos/v3 v3.4.2: REQ/REP over ipc://, a REQ socket per caller, 8 REP contexts",
		Serve: func(_ context.Context, p bench.Params) (bench.Server, error) {
			return serveMangos("ipc://"+filepath.Join(p.Dir, p.Name+".ipc"), p.MaxSize)
		},
		Dial: dialMangos,
	}
}

type mangosServer struct {
	sock mangos.Socket
	addr string
	wg   sync.WaitGroup
}

func serveMangos(addr string, maxSize int) (*mangosServer, error) {
	sock, err := rep.NewSocket()
	if err != nil {
		return nil, err
	}
	s := &mangosServer{sock: sock, addr: addr}
	if err := s.start(maxSize); err != nil {
		sock.Close()
		return nil, err
	}
	return s, nil
}

func (s *mangosServer) start(maxSize int) error {
	if err := s.sock.SetOption(mangos.OptionMaxRecvSize, maxSize+1<<10); err != nil {
		return err
	}
	if err := s.sock.Listen(s.addr); err != nil {
		return err
	}
	for range mangosWorkers {
		ctx, err := s.sock.OpenContext()
		if err != nil {
			return err
		}
		s.wg.Go(func() {
			for {
				m, err := ctx.Recv()
				if err != nil {
					return
				}
				if ctx.Send(m) != nil {
					return
				}
			}
		})
	}
	return nil
}

func (s *mangosServer) Addr() string    { return s.addr }
func (s *mangosServer) Received() int64 { return 0 }
func (s *mangosServer) Close() error {
	err := s.sock.Close()
	s.wg.Wait()
	return err
}

type mangosClient struct {
	sendOnly
	sock mangos.Socket
}

func dialMangos(ctx context.Context, p bench.Params, addr string) (bench.Client, error) {
	sock, err := req.NewSocket()
	if err != nil {
		return nil, err
	}
	dl := 30 * time.Second
	if d, ok := ctx.Deadline(); ok {
		dl = time.Until(d)
	}
	for _, o := range []struct {
		name string
		v    any
	}{{mangos.OptionMaxRecvSize, p.MaxSize + 1<<10}, {mangos.OptionRecvDeadline, dl}, {mangos.OptionSendDeadline, dl}} {
		if err := sock.SetOption(o.name, o.v); err != nil {
			sock.Close()
			return nil, err
		}
	}
	if err := sock.Dial(addr); err != nil {
		sock.Close()
		return nil, err
	}
	return &mangosClient{sock: sock}, nil
}

func (c *mangosClient) Send(_ context.Context, p []byte) error {
	if err := c.sock.Send(p); err != nil {
		return err
	}
	out, err := c.sock.Recv()
	if err != nil {
		return err
	}
	return checkEcho(len(out), len(p))
}

func (c *mangosClient) Close() error { return c.sock.Close() }
