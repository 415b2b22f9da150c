package nats

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gonats "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/postbox-ipc/postbox/driver"
)

// conn is a client's connection to one endpoint instance through NATS: the
// instance that answered its Dial, like a TCP connection to one replica,
// so its messages are handled in order, its flow control and liveness are
// that instance's, and its Posts are confirmed by it.
type conn struct {
	t           *Transport
	nc          *gonats.Conn
	js          jetstream.JetStream // Durable only
	subject     string              // the name's subject (hello)
	inst        string              // the instance's subject; "" when none answered (Durable)
	durableSubj string
	inbox       string // INBOX: the connection's inbox prefix, a random token and the PID
	peer        driver.Peer
	max         int
	replyMax    int
	liveness    time.Duration
	closeTO     time.Duration

	mu        sync.Mutex
	seq       uint64
	pending   map[uint64]*waiter // Sends and Syncs
	window    int
	slots     int // window slots free
	winBytes  int64
	freeBytes int64         // window bytes free
	space     chan struct{} // signalled when the window opens
	posted    uint64        // Posts published
	credited  uint64        // Posts the instance handled or refused
	synced    uint64        // Posts the instance confirmed it accepted
	refusals  uint64        // Posts refused, not yet reported
	refusal   error         // why the first of them was refused
	lastHeard time.Time     // the instance's last sign of life
	err       error         // set once the connection failed
	dead      chan struct{} // closed with err
	closed    bool

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

var _ driver.Conn = (*conn)(nil)

// waiter is a Send or a Sync awaiting its answer.
type waiter struct {
	sync   bool
	size   int64  // window bytes a Send holds
	target uint64 // a Sync confirms Posts up to this count
	reply  string
	ch     chan result
	cb     func(driver.Reply, error)
	stop   func() bool // stops watching a SendAsync's context
}

type result struct {
	rep driver.Reply
	err error
}

func (c *conn) Peer() driver.Peer { return c.peer }

func (c *conn) MaxSize() int { return c.max }

// waiters are recycled by Send, whose waiter nobody else holds once its
// answer is taken.
var waiters = sync.Pool{New: func() any { return &waiter{ch: make(chan result, 1)} }}

// Send publishes a request to the instance and waits for its answer.
func (c *conn) Send(ctx context.Context, m driver.Message) (driver.Reply, error) {
	w := waiters.Get().(*waiter)
	seq, err := c.send(ctx, &m, w, true)
	if err != nil {
		putWaiter(w)
		return driver.Reply{}, err
	}
	select {
	case res := <-w.ch:
		putWaiter(w)
		return res.rep, res.err
	case <-ctx.Done():
		if c.abandon(seq) {
			// Best effort: a lost cancel leaves the handler to its deadline.
			_ = c.nc.PublishMsg(&gonats.Msg{Subject: c.inst, Header: gonats.Header{HeaderKind: {KindCancel}, HeaderCancel: {w.reply}}})
			putWaiter(w)
			return driver.Reply{}, ctxErr(ctx)
		}
		res := <-w.ch
		putWaiter(w)
		return res.rep, res.err
	}
}

func putWaiter(w *waiter) {
	*w = waiter{ch: w.ch}
	waiters.Put(w)
}

// SendAsync publishes a request; done gets the answer from the inbox's
// goroutine, or ctx's error once ctx ends first (the receiver is then told
// to cancel, as for Send).
func (c *conn) SendAsync(ctx context.Context, m driver.Message, done func(driver.Reply, error)) {
	w := &waiter{cb: done}
	var seq atomic.Uint64 // set once published; the watch acts only then
	if ctx.Done() != nil {
		w.stop = context.AfterFunc(ctx, func() {
			if s := seq.Load(); s != 0 && c.abandon(s) {
				_ = c.nc.PublishMsg(&gonats.Msg{Subject: c.inst, Header: gonats.Header{HeaderKind: {KindCancel}, HeaderCancel: {w.reply}}})
				done(driver.Reply{}, ctxErr(ctx))
			}
		})
	}
	s, err := c.send(ctx, &m, w, false)
	if err != nil {
		if w.stop != nil {
			w.stop()
		}
		done(driver.Reply{}, err)
		return
	}
	seq.Store(s)
}

// send takes a window slot, registers w and publishes m.
func (c *conn) send(ctx context.Context, m *driver.Message, w *waiter, block bool) (uint64, error) {
	if err := c.usable(m); err != nil {
		return 0, err
	}
	w.size = int64(len(m.Data))
	if err := c.acquire(ctx, w.size, block); err != nil {
		return 0, err
	}
	seq, err := c.register(w)
	if err != nil {
		return 0, err
	}
	var timeout int64
	if dl, ok := ctx.Deadline(); ok {
		timeout = max(int64(time.Until(dl)), 1)
	}
	if err := c.nc.PublishRequest(c.inst, w.reply, appendRequest(m, timeout)); err != nil {
		perr := c.publishFailed(err)
		if c.abandon(seq) {
			return 0, perr
		}
		// A failing connection (or an answer) already took w and will
		// finish it: let the caller receive that outcome the usual way,
		// so w is never reused while a result is on its way to it.
	}
	return seq, nil
}

// messageHeader carries m's ID, W and L, or is nil when they are the
// defaults (CopyData, 0, 0): such a message goes without headers.
func messageHeader(m *driver.Message) gonats.Header {
	if m.ID == driver.CopyData && m.W == 0 && m.L == 0 {
		return nil
	}
	h := make(gonats.Header, 3)
	setMessage(h, m)
	return h
}

// Post publishes m; the instance credits it once handled.
func (c *conn) Post(ctx context.Context, m driver.Message) error {
	if c.js != nil {
		return c.durablePost(ctx, &m, true)
	}
	return c.post(ctx, &m, true)
}

// TryPost is Post that fails with ErrQueueFull instead of waiting.
func (c *conn) TryPost(m driver.Message) error {
	if c.js != nil {
		return c.durablePost(context.Background(), &m, false)
	}
	return c.post(context.Background(), &m, false)
}

func (c *conn) post(ctx context.Context, m *driver.Message, block bool) error {
	if err := c.usable(m); err != nil {
		return err
	}
	size := int64(len(m.Data))
	if err := c.acquire(ctx, size, block); err != nil {
		return err
	}
	c.mu.Lock()
	if c.err != nil {
		c.release(1, size)
		c.mu.Unlock()
		return c.err
	}
	c.posted++
	c.mu.Unlock()
	// The reply subject marks a Post and brings back only "no responders".
	if err := c.nc.PublishRequest(c.inst, c.inbox+".p", appendRequest(m, 0)); err != nil {
		c.mu.Lock()
		c.posted-- // never sent: not lost either
		c.release(1, size)
		c.mu.Unlock()
		return c.publishFailed(err)
	}
	return nil
}

// usable checks m against the limits and the connection's state.
func (c *conn) usable(m *driver.Message) error {
	if c.inst == "" {
		return fmt.Errorf("%w: no endpoint answered %s when this connection was made", driver.ErrNoEndpoint, c.subject)
	}
	return c.ready(m)
}

// ready is usable without the need for an instance (durable Posts).
func (c *conn) ready(m *driver.Message) error {
	if len(m.Data) > c.max {
		return fmt.Errorf("%w: %d bytes, the receiver accepts %d", driver.ErrTooLarge, len(m.Data), c.max)
	}
	c.mu.Lock()
	closed, err := c.closed, c.err
	c.mu.Unlock()
	switch {
	case closed:
		return driver.ErrClosed
	case err != nil:
		return err
	}
	if st := c.nc.Status(); st != gonats.CONNECTED {
		err := fmt.Errorf("%w: not connected to NATS (%v)", driver.ErrPeerGone, st)
		c.fail(err)
		return err
	}
	return nil
}

// publishFailed maps a publish error; anything but an oversized message
// leaves the stream in an unknown state, so the connection fails.
func (c *conn) publishFailed(err error) error {
	if errors.Is(err, gonats.ErrMaxPayload) {
		return fmt.Errorf("%w: %v", driver.ErrTooLarge, err)
	}
	err = fmt.Errorf("%w: %v", driver.ErrPeerGone, err)
	c.fail(err)
	return err
}

// publishErr maps an error from publishing.
func publishErr(err error) error {
	switch {
	case errors.Is(err, gonats.ErrMaxPayload):
		return fmt.Errorf("%w: %v", driver.ErrTooLarge, err)
	case errors.Is(err, gonats.ErrConnectionClosed):
		return driver.ErrClosed
	}
	return fmt.Errorf("%w: %v", driver.ErrPeerGone, err)
}

// acquire takes one window slot and size bytes.
func (c *conn) acquire(ctx context.Context, size int64, block bool) error {
	for {
		c.mu.Lock()
		switch {
		case c.closed:
			c.mu.Unlock()
			return driver.ErrClosed
		case c.err != nil:
			err := c.err
			c.mu.Unlock()
			return err
		case c.slots > 0 && c.freeBytes >= size:
			if c.idleLocked() {
				c.lastHeard = time.Now() // liveness counts from the first outstanding message
			}
			c.slots--
			c.freeBytes -= size
			c.mu.Unlock()
			return nil
		}
		c.mu.Unlock()
		if !block {
			return driver.ErrQueueFull
		}
		select {
		case <-c.space:
		case <-c.dead:
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", driver.ErrQueueFull, ctxErr(ctx))
		}
	}
}

// idleLocked reports whether nothing is outstanding. c.mu is held.
func (c *conn) idleLocked() bool {
	return c.slots == c.window && c.freeBytes == c.winBytes && len(c.pending) == 0
}

// release frees n slots and b bytes. c.mu is held.
func (c *conn) release(n int, b int64) {
	c.slots = min(c.slots+n, c.window)
	c.freeBytes = min(c.freeBytes+b, c.winBytes)
	signal(c.space)
}

// signal wakes whoever waits on ch, without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// register records w under a new sequence number. A Send's window share
// is given back if that fails.
func (c *conn) register(w *waiter) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		if !w.sync {
			c.release(1, w.size)
		}
		return 0, c.err
	}
	if c.idleLocked() {
		c.lastHeard = time.Now()
	}
	c.seq++
	w.reply = c.inbox + "." + strconv.FormatUint(c.seq, 10)
	c.pending[c.seq] = w
	return c.seq, nil
}

// abandon forgets a Send or Sync whose caller gave up. It reports false
// when the answer came first.
func (c *conn) abandon(seq uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.pending[seq]
	if w == nil {
		return false
	}
	delete(c.pending, seq)
	if !w.sync {
		c.release(1, w.size)
	}
	return true
}

// onAnswer handles a message on the inbox: credit (INBOX.c), "no
// responders" for a Post (INBOX.p), or the answer to a Send or Sync
// (INBOX.SEQ).
func (c *conn) onAnswer(m *gonats.Msg) {
	token := m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
	gone := m.Header.Get(natsStatus) == noResponders
	c.mu.Lock()
	c.lastHeard = time.Now()
	switch token {
	case "c":
		c.creditLocked(m)
		c.mu.Unlock()
		return
	case "p":
		c.mu.Unlock()
		if gone {
			c.fail(c.instanceGone())
		}
		return
	}
	seq, _ := strconv.ParseUint(token, 10, 64)
	w := c.pending[seq]
	if w == nil {
		c.mu.Unlock()
		return
	}
	delete(c.pending, seq)
	if !w.sync {
		c.release(1, w.size)
	} else if !gone {
		c.synced = max(c.synced, w.target)
	}
	c.mu.Unlock()
	if gone {
		err := c.instanceGone()
		c.finish(w, driver.Reply{}, err)
		c.fail(err)
		return
	}
	if w.sync {
		c.finish(w, driver.Reply{}, nil) // a sync's answer carries no reply
		return
	}
	rep, err := c.decode(m)
	c.finish(w, rep, err)
}

// instanceGone: NATS says nobody listens on the instance's subject any
// more — the endpoint process closed or died.
func (c *conn) instanceGone() error {
	return fmt.Errorf("%w: the %s instance is gone (no responders)", driver.ErrPeerGone, c.subject)
}

// creditLocked applies a credit message. c.mu is held.
func (c *conn) creditLocked(m *gonats.Msg) {
	n := uint64(max(intHeader(m.Header, HeaderCredit), 0))
	bytes := intHeader(m.Header, HeaderBytes)
	refused := uint64(max(intHeader(m.Header, HeaderRefused), 0))
	n = min(n, c.posted-c.credited)
	c.credited += n
	if refused = min(refused, n); refused > 0 {
		c.refusals += refused
		if c.refusal == nil {
			c.refusal = answerErr(m)
		}
	}
	c.release(int(n), max(bytes, 0))
}

// decode turns a final answer into the Send's outcome.
func (c *conn) decode(m *gonats.Msg) (driver.Reply, error) {
	rep, err := readAnswer(m.Data)
	if err == nil && len(rep.Data) > c.replyMax {
		return driver.Reply{}, fmt.Errorf("%w: reply of %d bytes, the limit is %d", driver.ErrTooLarge, len(rep.Data), c.replyMax)
	}
	return rep, err
}

// answerErr decodes an error answer.
func answerErr(m *gonats.Msg) *driver.RemoteError {
	code, err := strconv.Atoi(m.Header.Get(HeaderError))
	if err != nil || !driver.Code(code).Valid() {
		code = int(driver.CodeHandler)
	}
	return &driver.RemoteError{Code: driver.Code(code), Message: string(m.Data)}
}

func (c *conn) finish(w *waiter, rep driver.Reply, err error) {
	if w.cb != nil {
		if w.stop != nil {
			w.stop()
		}
		w.cb(rep, err)
		return
	}
	w.ch <- result{rep, err}
}

// fail ends the connection with err: every waiter gets it, and Posts not
// confirmed are lost.
func (c *conn) fail(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	close(c.dead)
	pend := c.pending
	c.pending = map[uint64]*waiter{}
	c.mu.Unlock()
	for _, w := range pend {
		c.finish(w, driver.Reply{}, err)
	}
}
