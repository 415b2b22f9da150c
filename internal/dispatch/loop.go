package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postbox-ipc/postbox/internal/stats"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// Config sets up a Loop. The zero value handles one message at a time and
// logs nothing.
type Config struct {
	// Concurrency is how many handlers may run at once, across sources.
	// A source's own messages are always handled one at a time, in order.
	// Zero means 1.
	Concurrency int
	// Logger receives recovered panics. Nil discards them.
	Logger *slog.Logger
	// OnAttach and OnDetach, when set, are called as a source is attached
	// and when it is first detached, in the transport's goroutine.
	OnAttach func(*Source)
	OnDetach func(*Source)
	// MaxMemory bounds the bytes transports hold for all sources
	// together (see Source.Hold); past it, the source holding the most
	// stuck bytes is evicted. Zero means no bound.
	MaxMemory int64
	// Control answers messages with reserved IDs (transport.Reserved) in
	// the delivering goroutine, bypassing the queue and the handler. Nil
	// answers them with an error.
	Control ControlFunc
}

// ControlFunc answers a message with a reserved ID from source s.
type ControlFunc func(s *Source, m *transport.Message) (transport.Reply, error)

// Loop is an endpoint's message loop. Its methods are safe for concurrent use.
type Loop struct {
	handler transport.HandlerFunc
	conc    int
	log     *slog.Logger
	base    context.Context
	stop    context.CancelFunc

	responding atomic.Int64 // answers being handed to transports after their handler
	drainers   atomic.Int32 // Drain calls waiting

	mu      sync.Mutex
	work    *sync.Cond // workers wait for ready sources
	idle    *sync.Cond // Drain waits for empty queues
	ready   sourceList
	running int
	queued  int
	closed  bool
	dropped int // accepted Posts never handled because the loop closed
	wg      sync.WaitGroup

	// Watching; see observe.go.
	cfg      Config
	draining bool                 // StopAccepting was called; guarded by mu
	sources  map[*Source]struct{} // attached, not yet retired; guarded by mu
	nextID   uint64               // guarded by mu
	retired  stats.Local          // the counts of sources gone; guarded by mu
	events   stats.Counters       // errors no source owns
	tap      atomic.Pointer[Tap]  // non-nil while a spy watches
	mem      budget               // see budget.go
}

// New starts a loop that calls h.
func New(h transport.HandlerFunc, cfg Config) *Loop {
	l := &Loop{handler: h, conc: max(cfg.Concurrency, 1), log: cfg.Logger, cfg: cfg, sources: make(map[*Source]struct{})}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	l.mem.limit = max(cfg.MaxMemory, 0)
	l.base, l.stop = context.WithCancel(context.Background())
	l.work = sync.NewCond(&l.mu)
	l.idle = sync.NewCond(&l.mu)
	l.wg.Add(l.conc)
	for range l.conc {
		go l.worker()
	}
	return l
}

// Concurrency is how many handlers may run at once. A transport whose
// connections share one reader should deliver inline only when it is 1.
func (l *Loop) Concurrency() int { return l.conc }

// Context is cancelled when the loop closes; Post handlers receive it.
func (l *Loop) Context() context.Context { return l.base }

// worker runs queued requests until the loop closes.
func (l *Loop) worker() {
	defer l.wg.Done()
	l.mu.Lock()
	for {
		for !l.closed && (l.ready.empty() || l.running >= l.conc) {
			l.work.Wait()
		}
		if l.closed {
			l.mu.Unlock()
			return
		}
		s := l.ready.pop()
		r := s.pop()
		s.cur = r
		l.running++
		canceled := r.canceled
		l.mu.Unlock()
		l.run(r, canceled, stats.Now())
		l.mu.Lock()
	}
}

// run calls the handler for r and reports the outcome; start is a stats.Now
// reading taken just before (the caller's, so an inline run reads the clock
// once for its transport and its timing). The caller has made r its
// source's current request and counted it in l.running, and read
// r.canceled, under l.mu.
func (l *Loop) run(r *Request, canceled error, start time.Duration) {
	s := r.src
	var rep transport.Reply
	var err error
	var d time.Duration
	if canceled != nil {
		err = canceled
	} else {
		rep, err = l.call(r)
		d = stats.Now() - start
		if t := l.tap.Load(); t != nil {
			(*t).Record(r, rep, err, start, d)
		}
	}
	l.mu.Lock()
	if canceled != nil {
		s.ctr.Error(stats.KindCanceled)
	} else if r.IsSend() {
		s.ctr.Handled(d, len(rep.Data), stats.KindOf(err))
	} else {
		s.ctr.Handled(d, 0, stats.KindOf(err)) // a Post's reply goes nowhere
	}
	if err != nil && l.closed {
		// The handler most likely failed because the loop cancelled it.
		err = &transport.RemoteError{Code: transport.CodeClosed, Message: "endpoint closed: " + err.Error()}
	}
	s.cur = nil
	s.lastEnd = 0
	if r.inline && canceled == nil {
		s.lastEnd = start + d // the next buffered request's start (Request.Buffered)
	}
	r.hc = nil
	l.running--
	var dropped []*Request
	if l.closed {
		dropped = l.dropQueue(s, nil)
	}
	l.responding.Add(1)
	l.settle(s)
	l.retire(s)
	l.mu.Unlock()
	s.resp.Respond(r, rep, err)
	for _, d := range dropped {
		s.resp.Respond(d, transport.Reply{}, transport.ErrClosed)
	}
	l.responded()
}

// responded ends a Respond that run counted in l.responding; the last one
// wakes Drain, which waits for answers to be handed to their transports
// (so a transport that closes after Drain writes them first).
func (l *Loop) responded() {
	if l.responding.Add(-1) == 0 && l.drainers.Load() > 0 {
		l.mu.Lock()
		l.idle.Broadcast()
		l.mu.Unlock()
	}
}

// settle puts s back in the ready list if it has more queued, and wakes
// whoever should know. l.mu is held.
func (l *Loop) settle(s *Source) {
	if s.qlen > 0 && s.cur == nil && !s.inReady {
		s.inReady = true
		l.ready.push(s)
	}
	if !l.ready.empty() {
		l.work.Signal()
	}
	if l.queued == 0 && l.running == 0 {
		l.idle.Broadcast()
	}
}

// call invokes the handler with r's context, turning a panic into an error.
func (l *Loop) call(r *Request) (rep transport.Reply, err error) {
	ctx := l.base
	if r.IsSend() {
		hc := newHandlerCtx(l.base, r)
		l.mu.Lock()
		r.hc = hc
		if r.canceled != nil { // cancelled since run began
			hc.abort(r.canceled)
		}
		l.mu.Unlock()
		ctx = hc
		defer hc.finish()
	}
	defer func() {
		if v := recover(); v != nil {
			l.log.Error("postbox: handler panicked", "id", fmt.Sprintf("%#x", r.Msg.ID),
				"pid", r.Msg.From.PID, "panic", v, "stack", string(debug.Stack()))
			rep, err = transport.Reply{}, transport.PanicError(v)
		}
	}()
	rep, err = l.handler(ctx, &r.Msg)
	return rep, asRemote(err)
}

// asRemote presents a handler's error as the sender will see it: a
// *RemoteError carrying its text and the sentinel it matched.
func asRemote(err error) error {
	if err == nil {
		return nil
	}
	var re *transport.RemoteError
	if errors.As(err, &re) {
		return re
	}
	return &transport.RemoteError{Code: transport.CodeOf(err), Message: err.Error()}
}

// Drain waits until every queue is empty and no handler runs, or ctx ends.
func (l *Loop) Drain(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		l.mu.Lock()
		l.idle.Broadcast()
		l.mu.Unlock()
	})
	defer stop()
	l.drainers.Add(1)
	defer l.drainers.Add(-1)
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.queued > 0 || l.running > 0 || l.responding.Load() > 0 {
		if ctx.Err() != nil {
			return transport.CtxErr(ctx)
		}
		l.idle.Wait()
	}
	return nil
}

// dropQueue empties s's queue into out, counting the Posts. l.mu is held.
func (l *Loop) dropQueue(s *Source, out []*Request) []*Request {
	for s.qlen > 0 {
		r := s.pop()
		if !r.IsSend() {
			l.dropped++
			s.ctr.Error(stats.KindDropped)
		} else {
			s.ctr.Error(stats.KindClosed)
		}
		out = append(out, r)
	}
	l.retire(s)
	return out
}

// Close stops the loop: handlers' contexts are cancelled, requests still
// queued are answered with ErrClosed without running, and Close waits for
// the workers. Handlers running inline finish in their transports'
// goroutines; queues behind them are dropped when they return.
func (l *Loop) Close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	l.stop()
	l.stopReclaim()
	var dropped []*Request
	for !l.ready.empty() {
		dropped = l.dropQueue(l.ready.pop(), dropped)
	}
	l.work.Broadcast()
	l.idle.Broadcast()
	l.mu.Unlock()
	for _, r := range dropped {
		r.src.resp.Respond(r, transport.Reply{}, transport.ErrClosed)
	}
	l.wg.Wait()
}

// Unhandled reports how many accepted Posts were dropped unhandled because
// the loop closed. Read it once every transport has stopped.
func (l *Loop) Unhandled() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped
}
