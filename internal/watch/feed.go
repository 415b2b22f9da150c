package watch

import (
	"bytes"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/stats"
	"github.com/postbox-ipc/postbox/internal/transport"
)

const (
	// RingSize is how many records wait for a slow subscriber before
	// further ones are dropped.
	RingSize = 2048
	// MaxWait bounds how long a poll waits for the first record.
	MaxWait = time.Second
)

// Feed is an endpoint's spy feed. Its methods are safe for concurrent use.
type Feed struct {
	loop *dispatch.Loop
	done <-chan struct{} // closed when the endpoint closes

	mu   sync.Mutex
	subs map[*dispatch.Source]*sub
	list atomic.Pointer[[]*sub] // the subscribers, for Record
}

// New returns the feed of loop. It installs itself as the loop's tap only
// while it has subscribers.
func New(loop *dispatch.Loop) *Feed {
	return &Feed{loop: loop, done: loop.Context().Done(), subs: make(map[*dispatch.Source]*sub)}
}

// sub is one subscriber: a connection that polled the feed.
type sub struct {
	wake chan struct{} // signalled when a record arrives

	mu      sync.Mutex
	filter  Filter
	raw     []byte // the filter's JSON as last received
	ring    []slot // filled from 0 to n
	spare   []slot // the other ring, swapped in by take
	n       int
	dropped uint64
}

// Spies is how many subscribers the feed has.
func (f *Feed) Spies() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// Record implements dispatch.Tap.
func (f *Feed) Record(r *dispatch.Request, rep transport.Reply, err error, start, d time.Duration) {
	list := f.list.Load()
	if list == nil {
		return
	}
	var s slot
	fill(&s, r, rep, err, start, d)
	for _, sb := range *list {
		sb.push(&s)
	}
}

func fill(s *slot, r *dispatch.Request, rep transport.Reply, err error, start, d time.Duration) {
	m := &r.Msg
	s.start, s.took = stats.Time(start).UnixNano(), int64(d)
	s.pid, s.uid = int32(m.From.PID), int32(m.From.UID)
	s.id, s.size, s.w, s.l = m.ID, uint32(len(m.Data)), m.W, m.L
	s.result, s.replySize = rep.Result, uint32(len(rep.Data))
	s.send, s.kind = r.IsSend(), stats.KindOf(err)
	s.tlen = uint8(copy(s.transport[:], m.From.Transport))
	s.hlen = uint8(copy(s.head[:], m.Data))
}

// push adds s to the ring, or counts it dropped when the ring is full.
func (sb *sub) push(s *slot) {
	sb.mu.Lock()
	if !sb.filter.match(s) {
		sb.mu.Unlock()
		return
	}
	if sb.n == len(sb.ring) {
		sb.dropped++
		sb.mu.Unlock()
		return
	}
	sb.ring[sb.n] = *s
	sb.n++
	sb.mu.Unlock()
	select {
	case sb.wake <- struct{}{}:
	default:
	}
}

// Poll answers a SpyID message from src: it subscribes src on its first
// poll, waits up to m.W milliseconds (at most MaxWait) for a record, and
// returns every record waiting (at most RingSize), encoded as a batch.
func (f *Feed) Poll(src *dispatch.Source, m *transport.Message) (transport.Reply, error) {
	sb, err := f.subscribe(src, m.Data)
	if err != nil {
		return transport.Reply{}, &transport.RemoteError{Code: transport.CodeHandler, Message: err.Error()}
	}
	wait := min(time.Duration(max(m.W, 0))*time.Millisecond, MaxWait)
	if wait > 0 && sb.empty() {
		t := time.NewTimer(wait)
		select {
		case <-sb.wake:
		case <-t.C:
		case <-f.done:
		}
		t.Stop()
	}
	return transport.Reply{Data: sb.take()}, nil
}

// subscribe returns src's subscription, creating it or updating its filter.
func (f *Feed) subscribe(src *dispatch.Source, raw []byte) (*sub, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sb := f.subs[src]
	if sb != nil {
		sb.mu.Lock()
		defer sb.mu.Unlock()
		if bytes.Equal(raw, sb.raw) {
			return sb, nil
		}
		flt, err := decodeFilter(raw)
		if err != nil {
			return nil, err
		}
		sb.filter, sb.raw = flt, bytes.Clone(raw)
		return sb, nil
	}
	flt, err := decodeFilter(raw)
	if err != nil {
		return nil, err
	}
	sb = &sub{wake: make(chan struct{}, 1), filter: flt, raw: bytes.Clone(raw), ring: make([]slot, RingSize), spare: make([]slot, RingSize)}
	f.subs[src] = sb
	f.publish()
	return sb, nil
}

// Drop ends src's subscription, if any; the last one removes the tap.
func (f *Feed) Drop(src *dispatch.Source) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.subs[src]; ok {
		delete(f.subs, src)
		f.publish()
	}
}

// publish updates the list Record reads and the loop's tap. f.mu is held.
func (f *Feed) publish() {
	if len(f.subs) == 0 {
		f.loop.SetTap(nil)
		f.list.Store(nil)
		return
	}
	list := make([]*sub, 0, len(f.subs))
	for _, sb := range f.subs {
		list = append(list, sb)
	}
	f.list.Store(&list)
	f.loop.SetTap(f)
}

func (sb *sub) empty() bool {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.n == 0
}

// take removes every waiting record and encodes them with the drop count.
// It swaps the full ring for the spare one under the lock, so a handler
// recording meanwhile waits for a swap, never for the encoding.
func (sb *sub) take() []byte {
	sb.mu.Lock()
	out, n, dropped := sb.ring, sb.n, sb.dropped
	if sb.spare == nil {
		sb.spare = make([]slot, RingSize)
	}
	sb.ring, sb.spare, sb.n, sb.dropped = sb.spare, nil, 0, 0
	sb.mu.Unlock()
	b := appendBatchHeader(make([]byte, 0, batchHeader+n*(recordHeader+32)), dropped, n)
	for i := range out[:n] {
		b = appendSlot(b, &out[i])
	}
	sb.mu.Lock()
	sb.spare = out
	sb.mu.Unlock()
	return b
}

// Wait is how a poller asks for a wait of d: the W of its SpyID message.
func Wait(d time.Duration) int64 { return int64(min(d, MaxWait) / time.Millisecond) }
