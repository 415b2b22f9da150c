package nats

import (
	"context"
	"fmt"
	"github.com/postbox-ipc/postbox/driver"
	"strconv"
	"strings"
	"time"

	gonats "github.com/nats-io/nats.go"

	"github.com/postbox-ipc/postbox"
)

// Broadcaster sends one message to every endpoint behind a NATS server
// (scatter-gather) and returns one Result per endpoint: each endpoint
// acknowledges at once and answers when its handler returns. The zero value
// is ready to use.
type Broadcaster struct {
	// Transport sets the subject prefix and connection options; nil uses
	// the defaults.
	Transport *Transport
	// Timeout bounds each endpoint's answer. Zero means
	// postbox.DefaultBroadcastTimeout.
	Timeout time.Duration
	// Gather is how long endpoints have to acknowledge the broadcast;
	// Broadcast returns once it has passed and every endpoint that
	// acknowledged has answered (or timed out). Zero means Timeout/4.
	Gather time.Duration
}

// Broadcast sends m to every endpoint behind the NATS server at url
// ("nats://host:4222" or "host:4222"); see Broadcaster.
func Broadcast(ctx context.Context, url string, m postbox.Message) ([]postbox.Result, error) {
	var b Broadcaster
	return b.Broadcast(ctx, url, m)
}

// Broadcast sends m to every endpoint; see the package function.
func (b *Broadcaster) Broadcast(ctx context.Context, url string, m postbox.Message) ([]postbox.Result, error) {
	t := b.Transport
	if t == nil {
		t = &Transport{}
	}
	a, err := parseAddr(strings.TrimPrefix(url, Scheme+"://"), false)
	if err != nil {
		return nil, err
	}
	nc, err := t.connect(ctx, a, "broadcast")
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	g := &gather{answers: make(chan *gonats.Msg, 1024), acks: map[string]int{}, base: Scheme + "://" + a.display + "/"}
	inbox := nc.NewInbox()
	sub, err := nc.ChanSubscribe(inbox, g.answers)
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()
	timeout := or0(b.Timeout, postbox.DefaultBroadcastTimeout)
	out := &gonats.Msg{Subject: t.allSubject(), Reply: inbox, Data: m.Data, Header: gonats.Header{}}
	setMessage(out.Header, &driver.Message{ID: m.ID, W: m.W, L: m.L})
	out.Header[HeaderTimeout] = []string{strconv.FormatInt(int64(timeout), 10)}
	if err := nc.PublishMsg(out); err != nil {
		return nil, publishErr(err)
	}
	return g.run(ctx, timeout, or0(b.Gather, timeout/4)), nil
}

func or0(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// gather collects a broadcast's answers.
type gather struct {
	answers chan *gonats.Msg
	acks    map[string]int // per endpoint "NAME/PID": acknowledged, not yet answered
	results []postbox.Result
	base    string
}

func (g *gather) run(ctx context.Context, timeout, window time.Duration) []postbox.Result {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	gathered := time.NewTimer(window)
	defer gathered.Stop()
	open := true // still gathering acknowledgements
	for open || g.waiting() > 0 {
		select {
		case m := <-g.answers:
			g.add(m)
		case <-gathered.C:
			open = false
		case <-deadline.C:
			return g.timeOut(postbox.ErrTimeout)
		case <-ctx.Done():
			return g.timeOut(ctxErr(ctx))
		}
	}
	return g.results
}

func (g *gather) add(m *gonats.Msg) {
	if m.Header.Get(natsStatus) == noResponders {
		return // no endpoint at all
	}
	name, pid := m.Header.Get(HeaderEndpoint), m.Header.Get(HeaderPID)
	key := name + "/" + pid
	if m.Header.Get(HeaderStatus) == StatusAccepted {
		g.acks[key]++
		return
	}
	g.acks[key]--
	r := postbox.Result{Endpoint: g.info(name, pid)}
	if m.Header.Get(HeaderError) != "" {
		re := answerErr(m)
		r.Err = &postbox.RemoteError{Code: postbox.Code(re.Code), Message: re.Message}
	} else {
		r.Reply = postbox.Reply{Result: intHeader(m.Header, HeaderResult), Data: m.Data}
	}
	g.results = append(g.results, r)
}

func (g *gather) info(name, pid string) postbox.EndpointInfo {
	p, _ := strconv.Atoi(pid)
	return postbox.EndpointInfo{Name: name, PID: p, Transports: []string{g.base + name}}
}

func (g *gather) waiting() int {
	n := 0
	for _, v := range g.acks {
		n += max(v, 0)
	}
	return n
}

// timeOut adds a failed Result for every endpoint that acknowledged but
// did not answer.
func (g *gather) timeOut(err error) []postbox.Result {
	for key, n := range g.acks {
		name, pid, _ := strings.Cut(key, "/")
		for range n {
			g.results = append(g.results, postbox.Result{Endpoint: g.info(name, pid),
				Err: fmt.Errorf("%s: %w", name, err)})
		}
	}
	return g.results
}
