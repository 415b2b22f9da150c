package dispatch

import (
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/postbox-ipc/postbox/internal/stats"
)

// The memory budget. A transport counts the bytes it holds for each
// source with Hold: payloads received and not yet answered, answers not
// yet written, a frame still arriving. The loop sums them over every
// source; when the sum passes Config.MaxMemory, the source holding the
// most stuck bytes — bytes held only because its peer does not cooperate:
// answers it does not read, a frame it does not finish — is evicted: its
// EvictFunc ends the connection. Bytes of messages waiting for the
// handler are never stuck: the handler relieves them, and each
// connection's credit already bounds them.

// EvictFunc ends a source's connection because of reason. It is called in
// a goroutine of its own, at most once per source.
type EvictFunc func(reason string)

// budget is the loop's side of the accounting.
type budget struct {
	limit    int64 // 0: none
	held     atomic.Int64
	peak     atomic.Int64
	evicting atomic.Bool // a scan for victims is under way
	reclaim  *time.Timer // pending return of evicted memory to the OS; guarded by Loop.mu
}

// holding is a source's side.
type holding struct {
	held    atomic.Int64
	stuck   atomic.Int64
	evict   EvictFunc
	evicted atomic.Bool
	reclaim atomic.Bool // set by Reclaim: return its memory to the OS when it retires
}

// OnEvict sets the function that ends s's connection when the budget needs
// its memory back. A source without one is never evicted.
func (s *Source) OnEvict(f EvictFunc) { s.hold.evict = f }

// Hold counts n more bytes (fewer, when negative) that the transport
// holds for s; stuck says they are held because the peer does not read
// or does not finish a frame. Unstick turns stuck bytes into plain ones.
func (s *Source) Hold(n int64, stuck bool) {
	h := &s.hold
	h.held.Add(n)
	if stuck {
		h.stuck.Add(n)
	}
	b := &s.loop.mem
	total := b.held.Add(n)
	if n <= 0 {
		return
	}
	if total > b.peak.Load() {
		b.peak.Store(total) // racy max: a peak a little low is fine for a figure
	}
	if b.limit > 0 && total > b.limit {
		s.loop.overBudget(total)
	}
}

// Evicted reports whether the budget has ended s's connection: it was
// told why and counted, and its end needs no other reason.
func (s *Source) Evicted() bool { return s.hold.evicted.Load() }

// Reclaim says s's connection is ending while it holds memory its peer
// would not take (an unfinished frame, answers it does not read): once s
// retires, the loop returns that memory to the OS. Eviction implies it.
func (s *Source) Reclaim() { s.hold.reclaim.Store(true) }

// Unstick moves n of s's stuck bytes to plain ones: a frame that arrived
// whole is now a message.
func (s *Source) Unstick(n int64) { s.hold.stuck.Add(-n) }

// overBudget evicts sources, most stuck bytes first, until what the
// others hold is within the limit: the bytes of sources already evicted are
// on their way back and not counted again. One scan runs at a time; a Hold
// that finds one running leaves the decision to it. A source with fewer
// stuck bytes than a 64th of the budget (at most 256 KiB) is never a
// victim: an answer on its way to a client that reads is not stuck.
func (l *Loop) overBudget(total int64) {
	if !l.mem.evicting.CompareAndSwap(false, true) {
		return
	}
	defer l.mem.evicting.Store(false)
	type eviction struct {
		s    *Source
		most int64
	}
	var out []eviction
	l.mu.Lock()
	var leaving int64 // held by sources evicted already
	for s := range l.sources {
		if s.hold.evicted.Load() {
			leaving += s.hold.held.Load()
		}
	}
	floor := min(l.mem.limit/64, 256<<10) // a client reading at its pace holds less: never its victim
	for total-leaving > l.mem.limit {
		var victim *Source
		most := floor - 1
		for s := range l.sources {
			if n := s.hold.stuck.Load(); n > most && !s.detached && s.hold.evict != nil && !s.hold.evicted.Load() {
				victim, most = s, n
			}
		}
		if victim == nil {
			break
		}
		victim.hold.evicted.Store(true)
		victim.ctr.Error(stats.KindMemory)
		leaving += victim.hold.held.Load()
		out = append(out, eviction{victim, most})
	}
	l.mu.Unlock()
	for _, e := range out {
		reason := fmt.Sprintf("endpoint memory budget exceeded (%d of %d bytes held): this connection held %d bytes it does not read or finish", total, l.mem.limit, e.most)
		go e.s.hold.evict(reason)
	}
}

// reclaimDelay is how long after such a source retires its memory is
// returned to the OS, so that the evictions of one flood share one return.
const reclaimDelay = time.Second

// reclaimSoon is called, with l.mu held, as a source retires that was
// evicted or ended by its transport with Reclaim: the buffers it held are
// garbage now, and a process that just passed its
// budget should not keep them resident until the runtime's scavenger gets
// to them (minutes, for hundreds of MiB). One return runs at a time, at
// most once per reclaimDelay; Close stops one not yet started and waits for
// one running.
func (l *Loop) reclaimSoon() {
	if l.mem.reclaim != nil || l.closed {
		return
	}
	l.wg.Add(1)
	l.mem.reclaim = time.AfterFunc(reclaimDelay, func() {
		defer l.wg.Done()
		debug.FreeOSMemory()
		l.mu.Lock()
		l.mem.reclaim = nil
		l.mu.Unlock()
	})
}

// stopReclaim cancels a return not yet started. l.mu is held.
func (l *Loop) stopReclaim() {
	if l.mem.reclaim != nil && l.mem.reclaim.Stop() {
		l.mem.reclaim = nil
		l.wg.Done()
	}
}

// Held reports the bytes the transports hold for every source now, and the
// most they ever held.
func (l *Loop) Held() (now, peak int64) { return l.mem.held.Load(), l.mem.peak.Load() }
