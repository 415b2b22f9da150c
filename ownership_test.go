package postbox_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/postbox-ipc/postbox"
)

// TestNoCopyHandsDataOver: in one process, a Dialer with NoCopy hands the
// caller's slice itself to the handler; without it the handler gets a copy.
func TestNoCopyHandsDataOver(t *testing.T) {
	var seen *byte
	const name = "nocopy-test"
	ep, err := postbox.Listen("inproc:"+name, postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		seen = &m.Data[0]
		return postbox.Reply{}, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	for _, noCopy := range []bool{false, true} {
		c, err := (&postbox.Dialer{NoCopy: noCopy}).Dial(ctxT(t), "inproc:"+name)
		if err != nil {
			t.Fatal(err)
		}
		buf := []byte("patient context")
		if _, err := c.Send(ctxT(t), postbox.Message{ID: postbox.CopyData, Data: buf}); err != nil {
			t.Fatal(err)
		}
		if same := seen == &buf[0]; same != noCopy {
			t.Errorf("NoCopy=%v: handler saw the caller's own slice: %v", noCopy, same)
		}
		c.Close()
	}
}

// TestReuseBuffers: an endpoint that lends its handler Data only for the
// call still delivers every byte, over a stream transport that recycles the
// buffers.
func TestReuseBuffers(t *testing.T) {
	ep, err := postbox.Listen("unix:reuse-bufs", postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Result: int64(len(m.Data)), Data: bytes.ToUpper(m.Data)}, nil
	}), postbox.WithReuseBuffers())
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	c, err := postbox.Dial(ctxT(t), "unix:reuse-bufs")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, n := range []int{1, 100, 4 << 10, 70 << 10, 1 << 20, 3, 200 << 10} {
		data := bytes.Repeat([]byte{'a' + byte(i)}, n)
		rep, err := c.Send(ctxT(t), postbox.Message{ID: postbox.CopyData, Data: data})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Result != int64(n) || !bytes.Equal(rep.Data, bytes.ToUpper(data)) {
			t.Fatalf("%d bytes: reply %d, %q…", n, rep.Result, rep.Data[:min(len(rep.Data), 8)])
		}
	}
}
