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

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/driver"
)

// msgBuffer is how many received messages may wait for the endpoint's
// reader; beyond it NATS drops them (a slow consumer), and their senders
// learn of it through liveness.
const msgBuffer = 1 << 16

// idleSender is how long a sender's queue stays attached without traffic.
const idleSender = time.Minute

// listener is one endpoint's presence on NATS.
type listener struct {
	t     *Transport
	nc    *gonats.Conn
	loop  *driver.Loop
	cfg   *driver.ListenConfig
	log   *slog.Logger
	name  string
	addr  string
	max   int // largest payload accepted
	subs  []*gonats.Subscription
	msgs  chan *gonats.Msg
	durab *durableConsumer

	gen  atomic.Uint64 // bumped when another reader takes over
	seq  atomic.Uint64 // Send numbers
	stop chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	senders  map[string]*sender
	inflight map[string]*flight // by reply subject
	closed   bool
	once     sync.Once
}

// flight is a Send queued or being handled.
type flight struct {
	s     *sender
	seq   uint64
	since time.Time
	hb    bool // the sender wants heartbeats
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
		addr: Scheme + "://" + a.display + "/" + a.name, msgs: make(chan *gonats.Msg, msgBuffer),
		stop: make(chan struct{}), senders: map[string]*sender{}, inflight: map[string]*flight{}}
	l.max = int(min(int64(driver.MaxSizeOr(cfg.MaxSize)), nc.MaxPayload()-headerRoom))
	if err := l.subscribe(ctx); err != nil {
		l.Close()
		return nil, err
	}
	l.wg.Add(2)
	go l.readLoop(0)
	go l.ticker()
	return l, nil
}

// headerRoom is what a payload leaves for headers under the server's
// maximum.
const headerRoom = 1024

func (l *listener) subscribe(ctx context.Context) error {
	t := l.t
	main, err := l.nc.ChanQueueSubscribe(t.subject(l.name), t.queue(), l.msgs)
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", t.subject(l.name), err)
	}
	l.subs = append(l.subs, main)
	all, err := l.nc.ChanSubscribe(t.allSubject(), l.msgs)
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", t.allSubject(), err)
	}
	l.subs = append(l.subs, all)
	ctl, err := l.nc.Subscribe(t.ctlSubject(l.name), l.control)
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", t.ctlSubject(l.name), err)
	}
	l.subs = append(l.subs, ctl)
	if t.Durable {
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

// readLoop handles received messages until the listener closes or another
// reader takes over (gen changes), which Watch arranges while a handler
// runs inline here.
func (l *listener) readLoop(gen uint64) {
	defer l.wg.Done()
	for l.gen.Load() == gen {
		select {
		case <-l.stop:
			return
		case m := <-l.msgs:
			l.handle(m)
		}
	}
}

// takeOver starts another reader, for Watch.
func (l *listener) takeOver() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	gen := l.gen.Add(1)
	l.wg.Add(1)
	go l.readLoop(gen)
}

// ticker sends heartbeats for Sends in flight and forgets idle senders.
func (l *listener) ticker() {
	defer l.wg.Done()
	every := l.t.liveness() / 4
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		select {
		case <-l.stop:
			return
		case now := <-tk.C:
			l.heartbeat(now, every)
			l.forgetIdle(now)
		}
	}
}

func (l *listener) heartbeat(now time.Time, every time.Duration) {
	var to []string
	l.mu.Lock()
	for reply, f := range l.inflight {
		if f.hb && now.Sub(f.since) >= every/2 {
			to = append(to, reply)
		}
	}
	l.mu.Unlock()
	for _, reply := range to {
		l.nc.PublishMsg(&gonats.Msg{Subject: reply, Header: gonats.Header{HeaderStatus: {StatusWorking}}})
	}
}

func (l *listener) forgetIdle(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, s := range l.senders {
		if s.idle(now) {
			delete(l.senders, id)
			s.src.Detach(postbox.ErrClosed)
		}
	}
}

// control handles the control subject: a sender gave up on a Send.
func (l *listener) control(m *gonats.Msg) {
	reply := m.Header.Get(HeaderCancel)
	l.mu.Lock()
	f := l.inflight[reply]
	l.mu.Unlock()
	if f != nil {
		f.s.src.Cancel(f.seq, context.Canceled)
	}
}

// Close unsubscribes, answers what was received but not handled, and waits
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
		l.refuseQueued()
		l.mu.Lock()
		senders := l.senders
		l.senders = nil
		l.mu.Unlock()
		for _, s := range senders {
			s.close()
		}
		l.nc.Close()
	})
	return nil
}

// refuseQueued tells the senders of messages never read that the endpoint
// closed.
func (l *listener) refuseQueued() {
	for {
		select {
		case m := <-l.msgs:
			if m.Reply != "" {
				l.replyErr(m, postbox.ErrClosed, false)
			}
		default:
			return
		}
	}
}

// hello answers a Dial's handshake.
func (l *listener) hello(m *gonats.Msg) {
	h := gonats.Header{
		HeaderEndpoint: {l.name},
		HeaderMaxSize:  {strconv.Itoa(l.max)},
		HeaderWindow:   {strconv.Itoa(l.cfg.QueueLenOr())},
		HeaderPID:      {strconv.Itoa(os.Getpid())},
	}
	l.nc.PublishMsg(&gonats.Msg{Subject: m.Reply, Header: h})
}
