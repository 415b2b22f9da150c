package peers

import (
	"context"
	"net"
	"path/filepath"

	"github.com/postbox-ipc/postbox/internal/bench"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// gRPC unary calls over a Unix socket. The messages are plain bytes with a
// pass-through codec, so no protobuf code is generated and marshalling
// costs nothing: what is measured is gRPC's HTTP/2 machinery.
func grpcCase() bench.Case {
	return bench.Case{
		Name: "grpc", Group: bench.GroupPeer, Shared: true, SendOnly: true,
		Note: "google.golang.org/grpc v1.85.0: unary call over a Unix socket, one shared ClientConn, bytes codec",
		Serve: func(ctx context.Context, p bench.Params) (bench.Server, error) {
			return serveGRPC(ctx, filepath.Join(p.Dir, p.Name+".sock"), p.MaxSize)
		},
		Dial: dialGRPC,
	}
}

const grpcMethod = "/pbb.Echo/Echo"

// rawCodec passes *[]byte through untouched.
type rawCodec struct{}

func (rawCodec) Name() string                  { return "pbbraw" }
func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	p := v.(*[]byte)
	*p = append((*p)[:0], data...)
	return nil
}

var echoDesc = grpc.ServiceDesc{
	ServiceName: "pbb.Echo",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Echo",
		Handler: func(_ any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			var in []byte
			if err := dec(&in); err != nil {
				return nil, err
			}
			return &in, nil
		},
	}},
}

type grpcServer struct {
	srv  *grpc.Server
	path string
	done chan struct{}
}

func serveGRPC(ctx context.Context, path string, maxSize int) (*grpcServer, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	lim := maxSize + 1<<10
	s := &grpcServer{path: path, done: make(chan struct{}),
		srv: grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.MaxRecvMsgSize(lim), grpc.MaxSendMsgSize(lim))}
	s.srv.RegisterService(&echoDesc, struct{}{})
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // returns when the benchmark stops it
	}()
	return s, nil
}

func (s *grpcServer) Addr() string    { return s.path }
func (s *grpcServer) Received() int64 { return 0 }
func (s *grpcServer) Close() error {
	s.srv.Stop()
	<-s.done
	return nil
}

type grpcClient struct {
	sendOnly
	cc *grpc.ClientConn
}

func dialGRPC(_ context.Context, p bench.Params, addr string) (bench.Client, error) {
	lim := p.MaxSize + 1<<10
	cc, err := grpc.NewClient("unix://"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(lim), grpc.MaxCallSendMsgSize(lim)))
	if err != nil {
		return nil, err
	}
	return &grpcClient{cc: cc}, nil
}

func (c *grpcClient) Send(ctx context.Context, p []byte) error {
	var out []byte
	if err := c.cc.Invoke(ctx, grpcMethod, &p, &out); err != nil {
		return err
	}
	return checkEcho(len(out), len(p))
}

func (c *grpcClient) Close() error { return c.cc.Close() }
