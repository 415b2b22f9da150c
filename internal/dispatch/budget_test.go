package dispatch

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox/internal/stats"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// Past the budget the source with the most stuck bytes is evicted, once,
// with a reason that names the budget; a source with less than the floor
// stuck, or whose bytes wait for the handler, is never a victim. When the
// victim retires, its memory is returned to the OS, and Close stops or
// waits for that return (goleak checks).
func TestBudgetEvictsTheBiggestStuckSource(t *testing.T) {
	l := New(func(context.Context, *transport.Message) (transport.Reply, error) { return transport.Reply{}, nil }, Config{MaxMemory: 64 << 20})
	defer l.Close()
	evicted := make(chan string, 3)
	attach := func(name string) *Source {
		s := l.Attach(transport.Peer{}, nopResponder{}, 16)
		s.OnEvict(func(reason string) { evicted <- name + ": " + reason })
		return s
	}
	small, queued, big := attach("small"), attach("queued"), attach("big")
	small.Hold(200<<10, true) // under the floor (256 KiB)
	queued.Hold(40<<20, false)
	big.Hold(30<<20, true) // 70.2 MiB held in all: over by 6.2 MiB
	select {
	case got := <-evicted:
		if !strings.HasPrefix(got, "big: endpoint memory budget exceeded") {
			t.Fatalf("evicted %q, want big for the budget", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("70 MiB held against a 64 MiB budget: nothing evicted")
	}
	big.Hold(1<<20, true) // still over while it goes: not evicted twice, and no one else
	select {
	case got := <-evicted:
		t.Fatalf("a second eviction: %q", got)
	case <-time.After(100 * time.Millisecond):
	}
	var st stats.Endpoint
	l.Snapshot(&st)
	if st.Errors[stats.KindMemory.String()] != 1 {
		t.Fatalf("Errors[memory] = %d, want 1", st.Errors[stats.KindMemory.String()])
	}
	big.Hold(-31<<20, true)
	big.Detach(transport.ErrClosed)
	l.mu.Lock()
	pending := l.mem.reclaim != nil
	l.mu.Unlock()
	if !pending {
		t.Fatal("the evicted source retired: no return of its memory to the OS scheduled")
	}
	if now, peak := l.Held(); now != 40<<20+200<<10 || peak < 71<<20 {
		t.Fatalf("Held() = %d, %d; want %d now, a peak of at least %d", now, peak, 40<<20+200<<10, 71<<20)
	}
}
