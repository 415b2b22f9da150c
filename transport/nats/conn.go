package nats

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	gonats "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/driver"
)

// conn is a client's connection to one endpoint name through NATS.
type conn struct {
	t           *Transport
	nc          *gonats.Conn
	js          jetstream.JetStream // Durable only
	subject     string
	ctl         string
	durableSubj string
	inbox       string
	sender      string
	sub         *gonats.Subscription
	peer        postbox.Peer
	max         int
	replyMax    int
	liveness    time.Duration
	closeTO     time.Duration

	mu      sync.Mutex
	seq     uint64
	pending map[uint64]*waiter
	postQ   []uint64 // Post seqs in order, for Flush
	window  int
	slots   int           // window slots free
	space   chan struct{} // signalled when slots free up
	acked   chan struct{} // signalled when a Post is settled, for Flush
	lost    uint64        // Posts never acknowledged, not yet reported
	lostErr error
	closed  bool

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

var _ driver.Conn = (*conn)(nil)

// waiter is a Send or Post awaiting its answer.
type waiter struct {
	post  bool
	reply string
	heard time.Time // sent, or the last heartbeat
	ch    chan result
	cb    func(postbox.Reply, error)
}

type result struct {
	rep postbox.Reply
	err error
}

func (c *conn) Peer() postbox.Peer { return c.peer }

func (c *conn) MaxSize() int { return c.max }

// Send publishes a request and waits for its answer.
func (c *conn) Send(ctx context.Context, m postbox.Message) (postbox.Reply, error) {
	w := &waiter{ch: make(chan result, 1)}
	seq, err := c.request(ctx, &m, w, true)
	if err != nil {
		return postbox.Reply{}, err
	}
	select {
	case res := <-w.ch:
		return res.rep, res.err
	case <-ctx.Done():
		if c.abandon(seq) {
			c.nc.PublishMsg(&gonats.Msg{Subject: c.ctl, Header: gonats.Header{HeaderCancel: {w.reply}}})
			return postbox.Reply{}, ctxErr(ctx)
		}
		res := <-w.ch
		return res.rep, res.err
	}
}

// SendAsync publishes a request; done gets the answer from the inbox's
// goroutine.
func (c *conn) SendAsync(m postbox.Message, done func(postbox.Reply, error)) {
	if _, err := c.request(context.Background(), &m, &waiter{cb: done}, false); err != nil {
		done(postbox.Reply{}, err)
	}
}

// Post publishes m for the endpoint to acknowledge.
func (c *conn) Post(ctx context.Context, m postbox.Message) error {
	if c.js != nil {
		return c.durablePost(ctx, &m, true)
	}
	_, err := c.request(ctx, &m, &waiter{post: true}, true)
	return err
}

// TryPost is Post that fails with ErrQueueFull instead of waiting.
func (c *conn) TryPost(m postbox.Message) error {
	if c.js != nil {
		return c.durablePost(context.Background(), &m, false)
	}
	_, err := c.request(context.Background(), &m, &waiter{post: true}, false)
	return err
}

// request takes a window slot (waiting when block is set), registers w and
// publishes m. It returns w's sequence number.
func (c *conn) request(ctx context.Context, m *postbox.Message, w *waiter, block bool) (uint64, error) {
	if err := c.usable(m); err != nil {
		return 0, err
	}
	if err := c.acquire(ctx, block); err != nil {
		return 0, err
	}
	c.mu.Lock()
	if c.closed {
		c.slots++
		c.mu.Unlock()
		return 0, postbox.ErrClosed
	}
	c.seq++
	seq := c.seq
	w.reply = c.inbox + "." + strconv.FormatUint(seq, 10)
	w.heard = time.Now()
	c.pending[seq] = w
	if w.post {
		c.postQ = append(c.postQ, seq)
	}
	c.mu.Unlock()
	out := &gonats.Msg{Subject: c.subject, Reply: w.reply, Data: m.Data, Header: gonats.Header{HeaderSender: {c.sender}}}
	setMessage(out.Header, m)
	if w.post {
		out.Header[HeaderKind] = []string{KindPost}
	} else if dl, ok := ctx.Deadline(); ok {
		out.Header[HeaderTimeout] = []string{strconv.FormatInt(max(int64(time.Until(dl)), 1), 10)}
	}
	if err := c.nc.PublishMsg(out); err != nil {
		c.unregister(seq)
		return 0, publishErr(err)
	}
	return seq, nil
}

// usable checks m against the limits and the connection's state.
func (c *conn) usable(m *postbox.Message) error {
	if len(m.Data) > c.max {
		return fmt.Errorf("%w: %d bytes, the limit through this NATS server is %d", postbox.ErrTooLarge, len(m.Data), c.max)
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return postbox.ErrClosed
	}
	if st := c.nc.Status(); st != gonats.CONNECTED {
		return fmt.Errorf("%w: not connected to NATS (%v)", postbox.ErrPeerGone, st)
	}
	return nil
}

func publishErr(err error) error {
	switch {
	case errors.Is(err, gonats.ErrMaxPayload):
		return fmt.Errorf("%w: %v", postbox.ErrTooLarge, err)
	case errors.Is(err, gonats.ErrConnectionClosed):
		return postbox.ErrClosed
	}
	return fmt.Errorf("%w: %v", postbox.ErrPeerGone, err)
}

// acquire takes one window slot.
func (c *conn) acquire(ctx context.Context, block bool) error {
	for {
		c.mu.Lock()
		if c.slots > 0 {
			c.slots--
			c.mu.Unlock()
			return nil
		}
		c.mu.Unlock()
		if !block {
			return postbox.ErrQueueFull
		}
		select {
		case <-c.space:
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", postbox.ErrQueueFull, ctxErr(ctx))
		case <-c.stop:
			return postbox.ErrClosed
		}
	}
}

// release frees a slot. c.mu is held.
func (c *conn) release() {
	c.slots++
	signal(c.space)
}

// signal wakes whoever waits on ch, without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// unregister forgets a request that was never published.
func (c *conn) unregister(seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if w := c.pending[seq]; w != nil {
		delete(c.pending, seq)
		c.release()
	}
}

// abandon forgets a Send whose caller gave up. It reports false when the
// answer came first.
func (c *conn) abandon(seq uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending[seq] == nil {
		return false
	}
	delete(c.pending, seq)
	c.release()
	return true
}

// onAnswer handles a message on the inbox: a reply, a heartbeat, a Post's
// acknowledgement, or NATS's "no responders".
func (c *conn) onAnswer(m *gonats.Msg) {
	seq, err := strconv.ParseUint(m.Subject[strings.LastIndexByte(m.Subject, '.')+1:], 10, 64)
	if err != nil {
		return
	}
	status := m.Header.Get(HeaderStatus)
	c.mu.Lock()
	w := c.pending[seq]
	if w == nil {
		c.mu.Unlock()
		return
	}
	if status == StatusWorking {
		w.heard = time.Now()
		c.mu.Unlock()
		return
	}
	delete(c.pending, seq)
	c.release()
	if w.post {
		if status != StatusAccepted {
			c.loseLocked(answerErr(m, c.subject))
		}
		c.mu.Unlock()
		signal(c.acked)
		return
	}
	c.mu.Unlock()
	rep, err := c.decode(m)
	c.finish(w, rep, err)
}

// decode turns a final answer into the Send's outcome.
func (c *conn) decode(m *gonats.Msg) (postbox.Reply, error) {
	if m.Header.Get(natsStatus) == noResponders || m.Header.Get(HeaderError) != "" {
		return postbox.Reply{}, answerErr(m, c.subject)
	}
	if len(m.Data) > c.replyMax {
		return postbox.Reply{}, fmt.Errorf("%w: reply of %d bytes, the limit is %d", postbox.ErrTooLarge, len(m.Data), c.replyMax)
	}
	res, _ := strconv.ParseInt(m.Header.Get(HeaderResult), 10, 64)
	return postbox.Reply{Result: res, Data: m.Data}, nil
}

// answerErr decodes an error answer.
func answerErr(m *gonats.Msg, subject string) error {
	if m.Header.Get(natsStatus) == noResponders {
		return fmt.Errorf("%w: nobody serves %s", postbox.ErrNoEndpoint, subject)
	}
	code, err := strconv.Atoi(m.Header.Get(HeaderError))
	if err != nil || !driver.Code(code).Valid() {
		code = int(driver.CodeHandler)
	}
	return &postbox.RemoteError{Code: driver.Code(code), Message: string(m.Data)}
}

func (c *conn) finish(w *waiter, rep postbox.Reply, err error) {
	if w.cb != nil {
		w.cb(rep, err)
		return
	}
	w.ch <- result{rep, err}
}

// loseLocked counts a Post that was never acknowledged. c.mu is held.
func (c *conn) loseLocked(err error) {
	c.lost++
	if c.lostErr == nil {
		c.lostErr = err
	}
}

func (c *conn) lose(err error) {
	c.mu.Lock()
	c.loseLocked(err)
	c.mu.Unlock()
}

// expire fails what has been silent for longer than the liveness period.
func (c *conn) expire(now time.Time) {
	c.failWhere(func(w *waiter) bool { return now.Sub(w.heard) > c.liveness },
		fmt.Errorf("%w: no sign of life from %s for %v", postbox.ErrPeerGone, c.subject, c.liveness))
}

func (c *conn) failAll(err error) { c.failWhere(func(*waiter) bool { return true }, err) }

func (c *conn) failWhere(match func(*waiter) bool, err error) {
	var sends []*waiter
	c.mu.Lock()
	for seq, w := range c.pending {
		if !match(w) {
			continue
		}
		delete(c.pending, seq)
		c.release()
		if w.post {
			c.loseLocked(err)
		} else {
			sends = append(sends, w)
		}
	}
	c.mu.Unlock()
	signal(c.acked)
	for _, w := range sends {
		c.finish(w, postbox.Reply{}, err)
	}
}
