package dispatch

import (
	"context"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// nopResponder frees what it is given.
type nopResponder struct{}

func (nopResponder) Respond(r *Request, _ transport.Reply, _ error) { Free(r) }
func (nopResponder) Begin(*Request, time.Duration)                  {}
func (nopResponder) Watch(*Request)                                 {}

// BenchmarkInlineSend is the loop's share of a Send's round trip: deliver,
// run the handler inline, count it, answer.
func BenchmarkInlineSend(b *testing.B) {
	l := New(func(context.Context, *transport.Message) (transport.Reply, error) {
		return transport.Reply{Result: 1}, nil
	}, Config{})
	defer l.Close()
	s := l.Attach(transport.UnknownPeer("bench"), nopResponder{}, 0)
	data := make([]byte, 64)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := NewRequest()
		r.Msg = transport.Message{ID: 0x4A, Data: data}
		r.Seq = uint64(i + 1)
		r.Size = len(data)
		if err := s.Deliver(r, true); err != nil {
			b.Fatal(err)
		}
	}
}
