package bench

import "context"

// memcpyCase is a single-thread memory copy of each payload: the ceiling for
// any transport that copies the payload once.
func memcpyCase() Case {
	return Case{
		Name: "memcpy", Group: GroupBaseline, Local: true, SingleCaller: true,
		Note:  "single-thread copy of the payload in one process: the ceiling for one copy",
		Serve: func(context.Context, Params) (Server, error) { return nopServer{}, nil },
		Dial: func(_ context.Context, p Params, _ string) (Client, error) {
			return &copier{dst: make([]byte, p.MaxSize)}, nil
		},
	}
}

type nopServer struct{}

func (nopServer) Addr() string    { return "" }
func (nopServer) Received() int64 { return 0 }
func (nopServer) Close() error    { return nil }

// copier "sends" by copying; a round trip is one copy.
type copier struct{ dst []byte }

func (c *copier) Send(_ context.Context, p []byte) error { copy(c.dst, p); return nil }
func (c *copier) Post(_ context.Context, p []byte) error { copy(c.dst, p); return nil }
func (c *copier) Flush(context.Context) error            { return nil }
func (c *copier) Close() error                           { return nil }
