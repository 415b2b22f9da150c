package nats

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gonats "github.com/nats-io/nats.go"

	"github.com/postbox-ipc/postbox/driver"
)

// msgBuffer is how many received messages may wait for the endpoint's
// reader; beyond it NATS drops them (a slow consumer), and their senders
// learn of it through liveness. Credit keeps Postbox senders well below it.
const msgBuffer = 1 << 16

// idleSender is how long a sender's queue stays attached without traffic.
const idleSender = time.Minute

// listener is one endpoint instance on NATS. It receives on the name's
// subject in a queue group (hellos, plain NATS clients), on its own
// instance subject (the Postbox clients whose Dial it answered) and on the
// broadcast subject.
type listener struct {
	t      *Transport
	nc     *gonats.Conn
	loop   *driver.Loop
	cfg    *driver.ListenConfig
	log    *slog.Logger
	name   string
	addr   string
	inst   string // this instance's subject
	gone   string // prefix of the subject where "no responders" says a sender left (see heartbeat)
	max    int    // largest payload accepted
	outMax int    // largest reply the server carries
	window int    // messages a sender may have outstanding
	winB   int64  // payload bytes a sender may have outstanding
	inline bool   // run handlers in the reader when idle
	subs   []*gonats.Subscription
	front  chan *gonats.Msg // the name's subject and broadcasts: never handled inline
	msgs   chan *gonats.Msg // the instance subject: Postbox connections
	durab  *durableConsumer

	cur  atomic.Pointer[reader] // the instance subject's current reader
	seq  atomic.Uint64          // Send numbers
	stop chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	senders  map[string]*sender
	inflight map[string]flight // Sends by reply subject, for cancellation
	closed   bool
	once     sync.Once
}

// flight is a Send queued or being handled.
type flight struct {
	s   *sender
	seq uint64
}

// Listen implements driver.Transport: addr is "host:port/NAME" or, from
// ListenConfig.Also, "host:port" (the endpoint's own name).
func (t *Transport) Listen(ctx context.Context, addr string, loop *driver.Loop, cfg *driver.ListenConfig) (driver.Listener, error) {
	a, err := parseAddr(addr, false)
	if err != nil {
		return nil, err
	}
	if a.name == "" {
		a.name = cfg.Name
		if err := validName(a.name); err != nil {
			return nil, err
		}
	}
	nc, err := t.connect(ctx, a, "endpoint "+a.name)
	if err != nil {
		return nil, err
	}
	l := &listener{t: t, nc: nc, loop: loop, cfg: cfg, log: driver.LoggerOr(cfg.Logger), name: a.name,
		addr: Scheme + "://" + a.display + "/" + a.name, inst: t.instSubject(nc.NewInbox()[len(gonats.InboxPrefix):]), gone: nc.NewInbox(),
		window: cfg.QueueLenOr(), inline: loop.Concurrency() == 1,
		front: make(chan *gonats.Msg, msgBuffer), msgs: make(chan *gonats.Msg, msgBuffer),
		stop: make(chan struct{}), senders: map[string]*sender{}, inflight: map[string]flight{}}
	l.outMax = int(nc.MaxPayload() - headerRoom)
	l.max = min(int(driver.MaxSizeOr(cfg.MaxSize)), l.outMax)
	l.winB = max(min(cfg.QueueBytesOr(), maxWindowBytes), int64(l.max))
	if err := l.subscribe(ctx); err != nil {
		l.Close()
		return nil, err
	}
	l.wg.Add(3)
	go l.readLoop(0)
	go l.frontLoop()
	go l.ticker()
	return l, nil
}

// headerRoom is what a payload leaves for headers under the server's
// maximum.
const headerRoom = 1024

// maxWindowBytes bounds the payload a sender may have outstanding, well
// under the server's default limit on what waits for one client (64 MiB),
// beyond which the server would cut the endpoint off as a slow consumer.
const maxWindowBytes = 8 << 20

func (l *listener) subscribe(ctx context.Context) error {
	t := l.t
	for _, s := range []struct {
		subj, queue string
		ch          chan *gonats.Msg
	}{{t.subject(l.name), t.queue(), l.front}, {l.inst, "", l.msgs}, {t.allSubject(), "", l.front}} {
		sub, err := l.nc.ChanQueueSubscribe(s.subj, s.queue, s.ch)
		if err != nil {
			return fmt.Errorf("subscribe %s: %w", s.subj, err)
		}
		l.subs = append(l.subs, sub)
	}
	sub, err := l.nc.Subscribe(l.gone+".>", l.onGone)
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", l.gone, err)
	}
	l.subs = append(l.subs, sub)
	if t.Durable {
		var err error
		if l.durab, err = l.startDurable(ctx); err != nil {
			return err
		}
	}
	// The subscriptions are in place once the server answered a ping.
	fctx, cancel := context.WithTimeout(ctx, driver.HandshakeOr(l.cfg.HandshakeTimeout))
	defer cancel()
	return l.nc.FlushWithContext(fctx)
}

func (l *listener) Addr() string { return l.addr }

// inlineGrace is how long a handler may run inline in the reader before
// another goroutine takes over reading, so that Flush, cancellation and
// other connections are still served while it runs.
const inlineGrace = 2 * time.Millisecond

// reader is one goroutine's turn at reading the instance subject. Only one
// reads at a time; a reader whose inline handler runs long hands reading
// to a new one and exits when the handler returns. The watchdog is armed
// once and re-checks when it fires, rather than reset for every message.
type reader struct {
	gen      uint64
	watchdog *time.Timer
	armed    atomic.Bool
	inline   atomic.Bool // a handler runs inline now
	// Guarded by listener.mu.
	req   *driver.Request // the inline request
	since time.Time
	taken bool // another reader took over
}

// readLoop handles messages from Postbox connections until the listener
// closes or another reader takes over (gen changes).
func (l *listener) readLoop(gen uint64) {
	defer l.wg.Done()
	rd := &reader{gen: gen}
	rd.watchdog = time.AfterFunc(time.Hour, func() { l.checkInline(rd) })
	rd.watchdog.Stop()
	defer rd.watchdog.Stop()
	l.cur.Store(rd)
	for {
		select {
		case <-l.stop:
			return
		case m := <-l.msgs:
			l.handle(m, l.inline)
			if rd.inline.Load() && !l.endInline(rd) {
				return // another reader took over meanwhile
			}
		}
	}
}

// begin is called (by Responder.Begin) in the reader just before r runs
// inline there.
func (l *listener) begin(r *driver.Request) {
	rd := l.cur.Load()
	l.mu.Lock()
	rd.req, rd.since = r, time.Now()
	l.mu.Unlock()
	rd.inline.Store(true)
	if !rd.armed.Swap(true) {
		rd.watchdog.Reset(inlineGrace)
	}
}

// endInline records that the inline handler returned; it reports whether
// rd is still the reader.
func (l *listener) endInline(rd *reader) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	rd.inline.Store(false)
	rd.req = nil
	return !rd.taken
}

// checkInline runs when the watchdog fires: it hands reading on if the inline
// handler has run for inlineGrace, and re-arms for the rest of the grace
// if one runs for less.
func (l *listener) checkInline(rd *reader) {
	rd.armed.Store(false)
	l.mu.Lock()
	since, running := rd.since, rd.req != nil
	l.mu.Unlock()
	if !running {
		return
	}
	if ran := time.Since(since); ran < inlineGrace {
		if !rd.armed.Swap(true) {
			rd.watchdog.Reset(inlineGrace - ran)
		}
		return
	}
	l.takeOver(rd, nil)
}

// takeOver starts a new reader while rd is busy with an inline handler
// (with r, if given). rd exits once its handler returns.
func (l *listener) takeOver(rd *reader, r *driver.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || rd.taken || rd.req == nil || r != nil && rd.req != r {
		return
	}
	rd.taken = true
	l.wg.Add(1)
	go l.readLoop(rd.gen + 1)
}

// frontLoop handles hellos, broadcasts and plain NATS clients. It never
// runs a handler itself, so a busy handler cannot hold up a new Dial.
func (l *listener) frontLoop() {
	defer l.wg.Done()
	for {
		select {
		case <-l.stop:
			return
		case m := <-l.front:
			l.handle(m, false)
		}
	}
}

// ticker sends heartbeats (with any credit due) to senders with work in
// progress, and forgets idle senders. A heartbeat also asks whether its
// sender still exists (onGone), so it goes at least every goneProbe.
func (l *listener) ticker() {
	defer l.wg.Done()
	tk := time.NewTicker(min(l.t.liveness()/4, goneProbe))
	defer tk.Stop()
	for {
		select {
		case <-l.stop:
			return
		case now := <-tk.C:
			for _, s := range l.senderList() {
				s.heartbeat()
			}
			l.forgetIdle(now)
		}
	}
}

// goneProbe is how often at most a sender with work in progress is checked
// for: how soon an endpoint learns that a sender died.
const goneProbe = 250 * time.Millisecond

func (l *listener) senderList() []*sender {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*sender, 0, len(l.senders))
	for _, s := range l.senders {
		out = append(out, s)
	}
	return out
}

func (l *listener) forgetIdle(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, s := range l.senders {
		if s.idle(now) {
			delete(l.senders, id)
			s.src.Detach(driver.ErrClosed)
		}
	}
}

// onGone receives the server's "no responders" status for a heartbeat or
// credit sent to a sender whose inbox no longer exists: its connection
// closed or its process died. Its queue is detached as a stream
// transport's would be: the running Send's handler is cancelled, queued
// Sends are dropped, accepted Posts are still handled.
func (l *listener) onGone(m *gonats.Msg) {
	if m.Header.Get(natsStatus) != noResponders || len(m.Subject) <= len(l.gone)+1 {
		return
	}
	inbox := m.Subject[len(l.gone)+1:]
	l.mu.Lock()
	s := l.senders[inbox]
	if s != nil {
		delete(l.senders, inbox)
	}
	l.mu.Unlock()
	if s != nil {
		l.log.Debug("postbox: nats: sender gone", "endpoint", l.name, "inbox", inbox)
		s.close(fmt.Errorf("%w: sender %s is gone", driver.ErrPeerGone, inbox))
	}
}

// Close unsubscribes, refuses what was received but not handled, and waits
// for its goroutines. Handlers still running inline finish first.
func (l *listener) Close() error {
	l.once.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		for _, s := range l.subs {
			s.Unsubscribe()
		}
		// Once Close returns, the server no longer routes to this endpoint.
		if l.nc.IsConnected() {
			l.nc.FlushTimeout(driver.HandshakeOr(l.cfg.HandshakeTimeout))
		}
		if l.durab != nil {
			l.durab.stop()
		}
		close(l.stop)
		l.wg.Wait()
		l.refuseUnread()
		l.mu.Lock()
		senders := l.senders
		l.senders = nil
		l.mu.Unlock()
		for _, s := range senders {
			s.close(driver.ErrClosed)
		}
		l.nc.Close()
	})
	return nil
}

// refuseUnread tells the senders of messages never read that the endpoint
// closed.
func (l *listener) refuseUnread() {
	for {
		var m *gonats.Msg
		select {
		case m = <-l.msgs:
		case m = <-l.front:
		default:
			return
		}
		if m.Reply != "" && m.Header.Get(HeaderKind) == "" {
			l.replyErr(m, driver.ErrClosed, m.Subject == l.t.allSubject())
		}
	}
}

// hello answers a Dial's handshake: the sender talks to this instance
// from now on.
func (l *listener) hello(m *gonats.Msg) {
	h := gonats.Header{
		HeaderEndpoint: {l.name},
		HeaderInstance: {l.inst},
		HeaderMaxSize:  {strconv.Itoa(l.max)},
		HeaderWindow:   {strconv.Itoa(l.window)},
		HeaderWindowB:  {strconv.FormatInt(l.winB, 10)},
		HeaderPID:      {strconv.Itoa(os.Getpid())},
	}
	l.publish(&gonats.Msg{Subject: m.Reply, Header: h})
}

// cancel tells the handler of a Send that its sender gave up.
func (l *listener) cancel(reply string) {
	l.mu.Lock()
	f, ok := l.inflight[reply]
	l.mu.Unlock()
	if ok {
		f.s.src.Cancel(f.seq, context.Canceled)
	}
}

func (l *listener) track(reply string, f flight) {
	l.mu.Lock()
	l.inflight[reply] = f
	l.mu.Unlock()
}

func (l *listener) untrack(reply string) {
	l.mu.Lock()
	delete(l.inflight, reply)
	l.mu.Unlock()
}

func (l *listener) publishRaw(subject string, data []byte) {
	if err := l.nc.Publish(subject, data); err != nil {
		l.log.Warn("postbox: nats: answer lost", "endpoint", l.name, "subject", subject, "err", err)
	}
}

func (l *listener) publish(m *gonats.Msg) {
	if err := l.nc.PublishMsg(m); err != nil {
		l.log.Warn("postbox: nats: answer lost", "endpoint", l.name, "subject", m.Subject, "err", err)
	}
}
