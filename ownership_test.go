package postbox_test

import (
	"bytes"
	"context"
	"runtime"
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

// TestReleaseRecyclesTheReply: a reply given back with Release is the
// buffer a later reply is read into, so a loop of Sends that releases its
// replies allocates far less than one reply a Send; and a released reply
// is cleared, never seen again with another's bytes.
func TestReleaseRecyclesTheReply(t *testing.T) {
	ep, err := postbox.Listen("unix:release-reply", postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Data: m.Data}, nil
	}), postbox.WithReuseBuffers())
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	c, err := postbox.Dial(ctxT(t), "unix:release-reply")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const size, sends = 64 << 10, 200
	allocated := func(release bool) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := range sends {
			data := bytes.Repeat([]byte{byte(i)}, size)
			rep, err := c.Send(ctxT(t), postbox.Message{ID: postbox.CopyData, Data: data})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(rep.Data, data) {
				t.Fatalf("send %d: reply differs from the request", i)
			}
			if release {
				rep.Release()
				if rep.Data != nil {
					t.Fatal("Release left Data set")
				}
				rep.Release() // a second time does nothing
			}
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	allocated(true) // warm the pools
	kept, released := allocated(false), allocated(true)
	// Each Send allocates its request (size bytes, here in the test) and,
	// unless released, its reply. Half the replies recycled is the bar: a
	// sync.Pool may drop what it is given (under -race, a quarter of it).
	t.Logf("kept %d KiB, released %d KiB", kept>>10, released>>10)
	if kept < 2*sends*size || kept-released < sends*size/2 {
		t.Fatalf("%d Sends of %d KiB allocated %d KiB keeping the replies and %d KiB releasing them",
			sends, size>>10, kept>>10, released>>10)
	}
	var zero postbox.Reply
	zero.Release() // a Reply that holds nothing
}
