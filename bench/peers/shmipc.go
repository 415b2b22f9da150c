package peers

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/cloudwego/shmipc-go"
	"github.com/postbox-ipc/postbox/internal/bench"
)

// shmipc-go: a Unix socket negotiates shared memory, then streams carry
// the frames through it. The client is a SessionManager whose stream pool
// the callers share, as the library's examples do.
func shmipcCase() bench.Case {
	return bench.Case{
		Name: "shmipc", Group: bench.GroupPeer, Shared: true,
		Note: "github.com/cloudwego/shmipc-go v0.2.0: streams over shared memory (Unix socket for setup and wake-ups), pooled streams",
		Serve: func(ctx context.Context, p bench.Params) (bench.Server, error) {
			return serveShmipc(ctx, filepath.Join(p.Dir, p.Name+".sock"))
		},
		Dial: dialShmipc,
	}
}

// Its package logger prints warnings to standard output, where the tables
// go: keep it quiet (its errors still come back as errors).
func init() { shmipc.SetLogLevel(5) }

func shmipcConfig() *shmipc.Config {
	c := shmipc.DefaultConfig()
	c.LogOutput = io.Discard // its default, stdout, is the child protocol's channel
	return c
}

type shmipcServer struct {
	ln   net.Listener
	recv atomic.Int64
	mu   sync.Mutex
	sess []*shmipc.Session
	wg   sync.WaitGroup
}

func serveShmipc(ctx context.Context, path string) (*shmipcServer, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	s := &shmipcServer{ln: ln}
	s.wg.Go(s.accept)
	return s, nil
}

func (s *shmipcServer) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Go(func() {
			sess, err := shmipc.Server(c, shmipcConfig())
			if err != nil {
				c.Close()
				return
			}
			s.mu.Lock()
			s.sess = append(s.sess, sess)
			s.mu.Unlock()
			for {
				st, err := sess.AcceptStream()
				if err != nil {
					return
				}
				s.wg.Go(func() { s.serve(st) })
			}
		})
	}
}

// serve answers one stream's frames until it ends.
func (s *shmipcServer) serve(st *shmipc.Stream) {
	defer st.Close()
	r, w := st.BufferReader(), st.BufferWriter()
	for {
		h, err := r.ReadBytes(hdrSize)
		if err != nil {
			return
		}
		kind, n := getHdr(h)
		var body []byte
		if n > 0 {
			if body, err = r.ReadBytes(n); err != nil {
				return
			}
		}
		switch kind {
		case kindOne:
			s.recv.Add(1)
		case kindPing, kindSync:
			if writeFrame(w, kind, body) != nil || st.Flush(false) != nil {
				return
			}
		}
		r.ReleasePreviousRead()
	}
}

func writeFrame(w shmipc.BufferWriter, kind uint32, body []byte) error {
	h, err := w.Reserve(hdrSize)
	if err != nil {
		return err
	}
	putHdr(h, kind, len(body))
	if len(body) > 0 {
		_, err = w.WriteBytes(body)
	}
	return err
}

func (s *shmipcServer) Addr() string    { return s.ln.Addr().String() }
func (s *shmipcServer) Received() int64 { return s.recv.Load() }
func (s *shmipcServer) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for _, sess := range s.sess {
		sess.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

var shmipcDials atomic.Int64

type shmipcClient struct {
	sm    *shmipc.SessionManager
	posts *shmipc.Stream // one stream keeps posts in order
}

func dialShmipc(_ context.Context, p bench.Params, addr string) (bench.Client, error) {
	conf := shmipc.DefaultSessionManagerConfig()
	conf.Config = shmipcConfig()
	conf.Network, conf.Address = "unix", addr
	id := fmt.Sprintf("/dev/shm/%s-%d", p.Name, shmipcDials.Add(1)) // each dial maps its own files
	conf.ShareMemoryPathPrefix = id
	conf.QueuePath = id + "_queue"
	sm, err := shmipc.NewSessionManager(conf)
	if err != nil {
		return nil, err
	}
	return &shmipcClient{sm: sm}, nil
}

func (c *shmipcClient) Send(ctx context.Context, p []byte) error {
	st, err := c.sm.GetStream()
	if err != nil {
		return err
	}
	defer c.sm.PutBack(st)
	if dl, ok := ctx.Deadline(); ok {
		st.SetDeadline(dl)
	}
	n, err := roundTrip(st, kindPing, p)
	if err != nil {
		return err
	}
	return checkEcho(n, len(p))
}

// roundTrip writes one frame and reads the answer, returning its length.
func roundTrip(st *shmipc.Stream, kind uint32, p []byte) (int, error) {
	if err := writeFrame(st.BufferWriter(), kind, p); err != nil {
		return 0, err
	}
	if err := st.Flush(false); err != nil {
		return 0, err
	}
	r := st.BufferReader()
	defer r.ReleasePreviousRead()
	h, err := r.ReadBytes(hdrSize)
	if err != nil {
		return 0, err
	}
	k, n := getHdr(h)
	if k != kind {
		return 0, fmt.Errorf("peers: shmipc answered a %d frame with a %d", kind, k)
	}
	if n > 0 {
		if _, err := r.ReadBytes(n); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func (c *shmipcClient) Post(_ context.Context, p []byte) error {
	if c.posts == nil {
		st, err := c.sm.GetStream()
		if err != nil {
			return err
		}
		c.posts = st
	}
	if err := writeFrame(c.posts.BufferWriter(), kindOne, p); err != nil {
		return err
	}
	return c.posts.Flush(false)
}

func (c *shmipcClient) Flush(context.Context) error {
	if c.posts == nil {
		return nil
	}
	_, err := roundTrip(c.posts, kindSync, nil)
	return err
}

func (c *shmipcClient) Close() error {
	if c.posts != nil {
		c.sm.PutBack(c.posts)
	}
	return c.sm.Close()
}
