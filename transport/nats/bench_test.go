package nats_test

import (
	"context"
	"testing"
	"time"

	gonats "github.com/nats-io/nats.go"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/transport/nats/internal/natstest"
)

// BenchmarkSend is a 64-byte Send through an embedded nats-server, both
// ends in this process; BenchmarkBareRequest is the same exchange with
// plain nats.go request/reply. The two-process comparison is peerbench's
// postbox-nats beside nats (docs/BENCHMARKS.md); this pair is for
// profiling.
func BenchmarkSend(b *testing.B) {
	hp := natstest.HostPort(natstest.Server(b))
	ep, err := postbox.Listen("nats://"+hp+"/bench", postbox.HandlerFunc(
		func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
			return postbox.Reply{Data: m.Data}, nil
		}))
	if err != nil {
		b.Fatal(err)
	}
	defer ep.Close()
	c, err := postbox.Dial(context.Background(), "nats://"+hp+"/bench")
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	m := postbox.Message{ID: postbox.User, Data: make([]byte, 64)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Send(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareRequest(b *testing.B) {
	hp := natstest.HostPort(natstest.Server(b))
	srv, err := gonats.Connect("nats://" + hp)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	if _, err := srv.Subscribe("bench", func(m *gonats.Msg) { m.Respond(m.Data) }); err != nil {
		b.Fatal(err)
	}
	srv.Flush()
	nc, err := gonats.Connect("nats://" + hp)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	data := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := nc.RequestWithContext(ctx, "bench", data); err != nil {
			b.Fatal(err)
		}
	}
}
