package tcp_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/postbox-ipc/postbox"
)

// BenchmarkSend is a 64-byte Send round trip over loopback TCP, both ends
// in this process; BenchmarkRawTCP is the same exchange with bare sockets.
// The two-process comparison is "postbox bench --transports tcp" (see
// docs/BENCHMARKS.md); this pair is for profiling.
func BenchmarkSend(b *testing.B) {
	b.Setenv("XDG_RUNTIME_DIR", b.TempDir())
	ep, err := postbox.Listen("tcp://127.0.0.1:0/bench", postbox.HandlerFunc(
		func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
			return postbox.Reply{Data: m.Data}, nil
		}))
	if err != nil {
		b.Fatal(err)
	}
	defer ep.Close()
	c, err := postbox.Dial(context.Background(), ep.Addrs()[0])
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	m := postbox.Message{Data: make([]byte, 64)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Send(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawTCP(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 8+64)
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 8+64)
	binary.LittleEndian.PutUint32(buf, 64)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
}
