package conformance

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// Buffers follow one rule on every transport: a caller may reuse what it
// passed in as soon as the call returns, and what a handler or a caller
// receives is its own to keep (to change, too). The test reuses or changes
// every buffer at the first moment the rule allows and checks every byte at
// the end; under -race a transport that still reads or writes a buffer it
// handed back is also reported as a data race.
var _ = add("BufferOwnership", func(t *testing.T, s *suite) {
	var mu sync.Mutex
	kept := map[int64][]byte{} // every Data the handler received, by W
	answered := map[int64][]byte{}
	const replySize = 300
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		rep := pattern(m.W, replySize)
		mu.Lock()
		kept[m.W], answered[m.W] = m.Data, rep
		mu.Unlock()
		return postbox.Reply{Result: m.W, Data: rep}, nil
	})
	_, addr := s.listen(t, h)
	c := s.dial(t, addr)
	n := int64(s.scale(120))
	big := min(70<<10, c.MaxSize()/2) // past the size stream transports write straight from the caller's slice
	buf := make([]byte, big)
	var replies [][]byte
	var wg sync.WaitGroup
	var asyncErr error
	for w := int64(1); w <= n; w++ {
		data := buf[:msgSize(w, big)]
		fill(data, w)
		m := postbox.Message{ID: postbox.CopyData, W: w, Data: data}
		var err error
		switch w % 4 {
		case 0:
			var rep postbox.Reply
			rep, err = c.Send(ctx(t), m)
			replies = append(replies, rep.Data)
		case 1:
			err = c.Post(ctx(t), m)
		case 2:
			err = c.TryPost(m)
			for err != nil && errors.Is(err, postbox.ErrQueueFull) {
				if err = c.Flush(ctx(t)); err == nil {
					err = c.TryPost(m)
				}
			}
		case 3:
			wg.Add(1)
			c.SendAsync(context.Background(), m, func(rep postbox.Reply, err error) {
				defer wg.Done()
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					asyncErr = err
				} else if !bytes.Equal(rep.Data, pattern(rep.Result, replySize)) {
					asyncErr = errBadReply
				}
				fill(rep.Data, -1) // the caller's to change
			})
		}
		if err != nil {
			t.Fatalf("message %d: %v", w, err)
		}
		fill(buf, -w) // the caller's buffer is the caller's again
	}
	wg.Wait()
	if err := c.Flush(ctx(t)); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if asyncErr != nil {
		t.Fatalf("SendAsync: %v", asyncErr)
	}
	for i, rep := range replies {
		w := int64(4 * (i + 1))
		if !bytes.Equal(rep, pattern(w, replySize)) {
			t.Fatalf("reply to message %d changed after Send returned: %q…", w, trunc(rep))
		}
	}
	waitFor(t, 10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(kept) == int(n) }, "%d messages handled", n)
	mu.Lock()
	defer mu.Unlock()
	for w := int64(1); w <= n; w++ {
		if got := kept[w]; !bytes.Equal(got, pattern(w, msgSize(w, big))) {
			t.Fatalf("message %d as the handler kept it changed after the call returned: %q…", w, trunc(got))
		}
		if got := answered[w]; !bytes.Equal(got, pattern(w, replySize)) {
			t.Fatalf("the handler's reply to message %d changed when the caller changed its copy: %q…", w, trunc(got))
		}
	}
})

var errBadReply = errors.New("a reply arrived with the wrong data")

// msgSize alternates small and large messages.
func msgSize(w int64, big int) int {
	if w%3 == 0 {
		return big
	}
	return 100 + int(w)
}

// fill writes w's pattern into b.
func fill(b []byte, w int64) {
	for i := range b {
		b[i] = byte(w) + byte(i)
	}
}

func pattern(w int64, n int) []byte {
	b := make([]byte, n)
	fill(b, w)
	return b
}
