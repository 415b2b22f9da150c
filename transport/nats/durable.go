package nats

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	gonats "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/postbox-ipc/postbox/driver"
)

// durableAckWait is how long JetStream waits for a durable message's
// handler before giving the message to another endpoint.
const durableAckWait = 30 * time.Second

// durablePubTimeout bounds the wait for JetStream's acknowledgement of one
// durable Post.
const durablePubTimeout = 5 * time.Second

// StreamName is the JetStream stream that holds durable Posts for a
// subject prefix: "POSTBOX_DURABLE" for the default one.
func StreamName(prefix string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(or(prefix, DefaultPrefix)) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String() + "_DURABLE"
}

// consumerName is the durable consumer replicas of name share. Postbox
// names never contain '~', so mapping '.' to it cannot collide.
func consumerName(name string) string { return strings.ReplaceAll(name, ".", "~") }

// ensureStream creates the durable stream, or updates it to this shape.
func ensureStream(ctx context.Context, js jetstream.JetStream, t *Transport) error {
	cfg := jetstream.StreamConfig{
		Name:        StreamName(t.Prefix),
		Description: "Postbox durable Posts",
		Subjects:    []string{t.prefix() + ".$durable.>"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
	}
	if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("jetstream stream %s: %w", cfg.Name, err)
	}
	return nil
}

// durableConsumer feeds an endpoint the durable Posts addressed to it.
type durableConsumer struct {
	l   *listener
	src *driver.Source
	cc  jetstream.ConsumeContext
}

var _ driver.Responder = (*durableConsumer)(nil)

func (l *listener) startDurable(ctx context.Context) (*durableConsumer, error) {
	js, err := jetstream.New(l.nc)
	if err != nil {
		return nil, err
	}
	if err := ensureStream(ctx, js, l.t); err != nil {
		return nil, err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, StreamName(l.t.Prefix), jetstream.ConsumerConfig{
		Durable:       consumerName(l.name),
		FilterSubject: l.t.durableSubject(l.name),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       durableAckWait,
		MaxAckPending: l.cfg.QueueLenOr(),
	})
	if err != nil {
		return nil, fmt.Errorf("jetstream consumer %s: %w", consumerName(l.name), err)
	}
	d := &durableConsumer{l: l}
	peer := driver.Peer{PID: -1, UID: -1, GID: -1, Transport: Scheme, Addr: "jetstream", Identity: Identity}
	d.src = l.loop.Attach(peer, d, l.cfg.QueueLenOr())
	d.cc, err = cons.Consume(d.onMsg, jetstream.PullMaxMessages(min(l.cfg.QueueLenOr(), 512)))
	if err != nil {
		d.src.Detach(driver.ErrClosed)
		return nil, fmt.Errorf("jetstream consume: %w", err)
	}
	return d, nil
}

// onMsg queues one durable Post; JetStream keeps it until Respond acks it.
func (d *durableConsumer) onMsg(msg jetstream.Msg) {
	r := driver.NewRequest()
	if err := readMessage(msg.Headers(), &r.Msg); err != nil {
		driver.Free(r)
		d.l.log.Warn("postbox: nats: malformed durable message dropped", "endpoint", d.l.name, "err", err)
		d.settled("terminate", msg.Term())
		return
	}
	r.Msg.Data = msg.Data()
	r.Size = len(r.Msg.Data)
	r.Aux = msg
	switch err := d.src.Deliver(r, false); {
	case errors.Is(err, driver.ErrQueueFull):
		driver.Free(r)
		d.settled("give back", msg.NakWithDelay(time.Second))
	case err != nil:
		driver.Free(r)
		d.settled("give back", msg.Nak())
	}
}

// settled logs a failed acknowledgement: the server will redeliver the
// message when its AckWait runs out (at least once, never lost).
func (d *durableConsumer) settled(what string, err error) {
	if err != nil {
		d.l.log.Warn("postbox: nats: durable message could not be settled; it will be redelivered",
			"endpoint", d.l.name, "op", what, "err", err)
	}
}

// Respond implements driver.Responder: a handled message is acknowledged,
// one the endpoint never ran is given back.
func (d *durableConsumer) Respond(r *driver.Request, _ driver.Reply, err error) {
	msg := r.Aux.(jetstream.Msg)
	if errors.Is(err, driver.ErrClosed) {
		d.settled("give back", msg.Nak())
	} else {
		d.settled("acknowledge", msg.Ack())
	}
	driver.Free(r)
}

// Begin implements driver.Responder; durable messages never run inline.
func (d *durableConsumer) Begin(*driver.Request, time.Duration) {}

// Watch implements driver.Responder; durable messages never run inline.
func (d *durableConsumer) Watch(*driver.Request) {}

// stop ends consuming; messages already pulled are given back (Nak), so
// another endpoint gets them without waiting for the ack deadline.
func (d *durableConsumer) stop() {
	d.cc.Drain()
	<-d.cc.Closed()
	d.src.Detach(driver.ErrClosed)
}

// durablePost publishes m to the durable stream without waiting for
// JetStream's acknowledgement; Flush waits for it.
func (c *conn) durablePost(ctx context.Context, m *driver.Message, block bool) error {
	if err := c.ready(m); err != nil {
		return err
	}
	out := &gonats.Msg{Subject: c.durableSubj, Data: m.Data, Header: messageHeader(m)}
	for {
		if c.js.PublishAsyncPending() < defaultWindow {
			_, err := c.js.PublishMsgAsync(out, jetstream.WithStallWait(10*time.Millisecond))
			if err == nil {
				return nil
			}
			if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
				return publishErr(err)
			}
		}
		if !block {
			return driver.ErrQueueFull
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", driver.ErrQueueFull, ctxErr(ctx))
		case <-c.js.PublishAsyncComplete():
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// durableFlush waits until JetStream acknowledged every durable Post.
func (c *conn) durableFlush(ctx context.Context) error {
	select {
	case <-c.js.PublishAsyncComplete():
		return nil
	case <-ctx.Done():
		return &driver.LostError{Count: uint64(c.js.PublishAsyncPending()), Err: ctxErr(ctx)}
	}
}
