package dispatch

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// timings is a Tap that keeps each message's start and handling time by W.
type timings struct {
	mu sync.Mutex
	at map[int64][2]time.Duration // W -> start, end
}

func (tm *timings) Record(r *Request, _ transport.Reply, _ error, start, d time.Duration) {
	tm.mu.Lock()
	tm.at[r.Msg.W] = [2]time.Duration{start, start + d}
	tm.mu.Unlock()
}

func (tm *timings) get(w int64) (start, end time.Duration) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	v := tm.at[w]
	return v[0], v[1]
}

// A Buffered request that runs inline is timed from the end of the inline
// run before it; one that is not, or that follows a queued run, reads the
// clock again.
func TestBufferedRunSharesTheClockRead(t *testing.T) {
	l := New(func(context.Context, *transport.Message) (transport.Reply, error) {
		time.Sleep(time.Millisecond) // the clock moves on within each run
		return transport.Reply{}, nil
	}, Config{})
	defer l.Close()
	tm := &timings{at: map[int64][2]time.Duration{}}
	l.SetTap(tm)
	rec := &recorder{done: make(chan *Request, 1)}
	s := l.Attach(transport.Peer{}, rec, 0)
	deliver := func(w int64, buffered, inline bool) {
		t.Helper()
		r := req(w)
		r.Buffered = buffered
		if err := s.Deliver(r, inline); err != nil {
			t.Fatal(err)
		}
		<-rec.done
	}
	deliver(1, false, true)
	deliver(2, true, true)  // pipelined behind 1
	deliver(3, false, true) // after a wait for input
	deliver(4, false, false)
	deliver(5, true, true) // behind 4, which ran on the loop's goroutine

	_, end1 := tm.get(1)
	start2, end2 := tm.get(2)
	start3, _ := tm.get(3)
	_, end4 := tm.get(4)
	start5, _ := tm.get(5)
	if start2 != end1 {
		t.Errorf("buffered 2 started at %v, want the end of 1, %v", start2, end1)
	}
	if start3 <= end2 {
		t.Errorf("unbuffered 3 started at %v, not after 2 ended (%v)", start3, end2)
	}
	if start5 < end4 {
		t.Errorf("5 started at %v, before the queued 4 ended (%v)", start5, end4)
	}
}
