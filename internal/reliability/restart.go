package reliability

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// incarnation is one life of a restarted receiver.
type incarnation struct {
	id   int64
	addr string
	kill func()
	srv  *server // in-process only
}

// startIncarnation starts the receiver named name: a child process that
// is killed with SIGKILL, or an endpoint in this process that is closed.
func (s *suite) startIncarnation(t *testing.T, name string) *incarnation {
	t.Helper()
	var in incarnation
	if s.CrossProcess {
		p := s.serveChild(t, name, rxConfig{Addr: s.Addr(name)})
		in.addr, in.kill = p.addr, p.kill
	} else {
		in.srv = newServer(nil)
		ep, addr := s.listenAs(t, name, in.srv)
		in.addr, in.kill = addr, func() { ep.Close() }
	}
	c := s.dial(t, in.addr)
	rep, err := c.Send(testCtx(t), postbox.Message{ID: idWho})
	if err != nil {
		t.Fatalf("new incarnation: %v", err)
	}
	in.id = rep.Result
	c.Close()
	return &in
}

// handled asks the incarnation for the tags of the Sends it has handled.
func (s *suite) handled(t *testing.T, in *incarnation) stats {
	t.Helper()
	c := s.dial(t, in.addr)
	defer c.Close()
	st, err := fetchStats(testCtx(t), c, true)
	if err != nil {
		t.Fatalf("the receiver's counters: %v", err)
	}
	return st
}

var _ = add("RestartWhileClientsRun", func(t *testing.T, s *suite) {
	const clients = 8
	restarts := s.count(3, 10, 50)
	how := "killed with SIGKILL and started again (a new process taking over the stale name)"
	if !s.CrossProcess {
		how = "closed and listened again"
	}
	fg := s.record(t, "%d clients alternate Send and Post and redial on failure while the receiver is %s, %d times; every Send is answered or fails with a clear error, none is replayed to the next receiver; every Post fails, is confirmed, or is reported lost",
		clients, how, restarts)
	name := s.name()
	in := s.startIncarnation(t, name)
	sentTo := &sync.Map{} // Send tag → incarnation id it was sent to
	cs := make([]*rclient, clients)
	var wg sync.WaitGroup
	var stop atomic.Bool
	for i := range cs {
		cs[i] = &rclient{s: s, id: int64(i + 1), addr: in.addr, sentTo: sentTo, stop: &stop, ok: map[int64]int{}}
		wg.Go(cs[i].run)
	}
	t.Cleanup(func() { // should the test end early
		stop.Store(true)
		wg.Wait()
	})
	for range restarts {
		waitReconnected(t, cs, in.id)
		st := s.handled(t, in) // so far: a subset of what was sent to this incarnation
		checkNoReplay(t, sentTo, in.id, st.Handled)
		in.kill()
		time.Sleep(20 * time.Millisecond) // an outage: clients fail to redial meanwhile
		in = s.startIncarnation(t, name)
	}
	waitReconnected(t, cs, in.id)
	stop.Store(true)
	wg.Wait()
	st := s.handled(t, in) // complete: every client ended with a barrier on its connection
	checkNoReplay(t, sentTo, in.id, st.Handled)
	tally := sumClients(cs)
	unclear := tally.unclear
	fg.result(t, int64(unclear+tally.mismatched)+st.Duplicates, "%s Sends answered; %s Sends and dials failed with a clear error (%s), %d unclear, %d mismatched, 0 replayed; %s Posts: %s confirmed, %s failed at once, %s reported lost; the last receiver handled exactly the %s Sends and %s Posts sent to it",
		count(tally.sendOK), count(tally.sendFailed), tally.kinds(), unclear, tally.mismatched,
		count(tally.posts), count(tally.confirmed), count(tally.postFailed), count(tally.lost),
		count(len(st.Handled)), count(int(st.Posts)))
	if unclear > 0 || tally.mismatched > 0 || st.Duplicates > 0 {
		t.Errorf("%d unclear errors, %d mismatched replies, %d duplicates", unclear, tally.mismatched, st.Duplicates)
	}
	if tally.posts != tally.confirmed+tally.postFailed+tally.lost {
		t.Errorf("Posts: %d attempted ≠ %d confirmed + %d failed + %d lost", tally.posts, tally.confirmed, tally.postFailed, tally.lost)
	}
	// The last receiver was never restarted: what it confirmed it handled,
	// and every Send it answered is in its list.
	if want := sumOK(cs, in.id); int64(len(st.Handled)) != want.sends || st.Posts != want.posts || st.OutOfOrder != 0 {
		t.Errorf("the last receiver handled %d Sends and %d Posts (%d out of order); clients had %d Sends answered and %d Posts confirmed by it",
			len(st.Handled), st.Posts, st.OutOfOrder, want.sends, want.posts)
	}
})

// waitReconnected waits until every client has had minAnswered Sends
// answered by incarnation id.
func waitReconnected(t *testing.T, cs []*rclient, id int64) {
	t.Helper()
	const minAnswered = 20
	waitFor(t, time.Minute, func() bool {
		for _, c := range cs {
			c.mu.Lock()
			n := c.ok[id]
			c.mu.Unlock()
			if n < minAnswered {
				return false
			}
		}
		return true
	}, "every client reconnected to the new receiver and had %d Sends answered (so far: %s)", minAnswered, lazy(func() string {
		tl := sumClients(cs)
		return fmt.Sprintf("%d answered, errors: %s", tl.sendOK, tl.kinds())
	}))
}

// lazy formats as f's result, computed when printed.
type lazy func() string

func (l lazy) String() string { return l() }

// checkNoReplay fails the test if incarnation id handled a Send that was
// not sent to it.
func checkNoReplay(t *testing.T, sentTo *sync.Map, id int64, handled []int64) {
	t.Helper()
	for _, tg := range handled {
		if to, ok := sentTo.Load(tg); !ok || to.(int64) != id {
			t.Errorf("Send %x was handled by receiver %x but sent to %v: replayed", tg, id, to)
		}
	}
}

// rclient is one client of the restart test: it alternates Send and Post,
// flushes now and then, and redials when its connection fails.
type rclient struct {
	s      *suite
	id     int64
	addr   string
	sentTo *sync.Map
	stop   *atomic.Bool

	mu  sync.Mutex
	ok  map[int64]int // incarnation → Sends answered
	okP map[int64]int // incarnation → Posts confirmed (on connections that ended well)
	clientTally
}

// clientTally counts one client's outcomes.
type clientTally struct {
	sendOK, sendFailed, unclear, mismatched int
	posts, confirmed, postFailed, lost      int
	errKinds                                map[string]int
}

func (c *rclient) run() {
	var seq int64
	var conns int64
	for !c.stop.Load() {
		conn, who, err := c.dial()
		if err != nil {
			c.failure(err)
			time.Sleep(5 * time.Millisecond)
			continue
		}
		conns++
		seq = c.session(conn, who, c.id<<20|conns, seq)
	}
}

// dial connects and learns which incarnation answers.
func (c *rclient) dial() (*postbox.Conn, int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := c.s.dialer().Dial(ctx, c.addr)
	if err != nil {
		return nil, 0, err
	}
	rep, err := conn.Send(ctx, postbox.Message{ID: idWho})
	if err != nil {
		conn.Close()
		return nil, 0, err
	}
	return conn, rep.Result, nil
}

// session uses one connection until it fails or the test stops; it
// returns the next Send sequence number.
func (c *rclient) session(conn *postbox.Conn, who, stream, seq int64) int64 {
	var postSeq, postedOK int64
	var err error
	for i := 0; err == nil; i++ {
		if c.stop.Load() {
			// A barrier: the Send is handled after every Post before it.
			if err = conn.Flush(context.Background()); err == nil {
				_, err = conn.Send(context.Background(), postbox.Message{ID: idEcho})
			}
			break
		}
		switch {
		case i%16 == 15:
			err = conn.Flush(context.Background())
		case i%2 == 0:
			seq++
			err = c.send(conn, who, seq)
		default:
			err = conn.Post(context.Background(), postbox.Message{ID: idPost, W: stream, L: postSeq})
			c.mu.Lock()
			c.posts++
			if err == nil {
				postSeq++
				postedOK++
			} else {
				c.postFailed++
			}
			c.mu.Unlock()
		}
	}
	if err != nil {
		c.failure(err)
	}
	var lost int64
	var le *postbox.LostError
	if cerr := conn.Close(); errors.As(cerr, &le) {
		lost = int64(le.Count)
	}
	c.mu.Lock()
	c.lost += int(lost)
	c.confirmed += int(postedOK - lost)
	if err == nil {
		if c.okP == nil {
			c.okP = map[int64]int{}
		}
		c.okP[who] += int(postedOK)
	}
	c.mu.Unlock()
	return seq
}

// send sends one tagged message and checks the answer.
func (c *rclient) send(conn *postbox.Conn, who, seq int64) error {
	tg := tag(c.id, seq)
	c.sentTo.Store(tg, who)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rep, err := conn.Send(ctx, postbox.Message{ID: idLoad, W: c.id, L: seq})
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := checkLoadReply(rep, c.id, seq, nil); err != nil {
		c.mismatched++
		return nil
	}
	c.sendOK++
	c.ok[who]++
	return nil
}

// failure classifies an error: the clear ones a restart may cause, or not.
func (c *rclient) failure(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.errKinds == nil {
		c.errKinds = map[string]int{}
	}
	var kind string
	switch {
	case errors.Is(err, postbox.ErrPeerGone):
		kind = "ErrPeerGone"
	case errors.Is(err, postbox.ErrNoEndpoint):
		kind = "ErrNoEndpoint"
	case errors.Is(err, postbox.ErrClosed):
		kind = "ErrClosed"
	default:
		c.unclear++
		kind = "unclear: " + err.Error()
	}
	c.errKinds[kind]++
	c.sendFailed++
}

func sumClients(cs []*rclient) clientTally {
	var t clientTally
	t.errKinds = map[string]int{}
	for _, c := range cs {
		c.mu.Lock()
		t.sendOK += c.sendOK
		t.sendFailed += c.sendFailed
		t.unclear += c.unclear
		t.mismatched += c.mismatched
		t.posts += c.posts
		t.confirmed += c.confirmed
		t.postFailed += c.postFailed
		t.lost += c.lost
		for k, v := range c.errKinds {
			t.errKinds[k] += v
		}
		c.mu.Unlock()
	}
	return t
}

func (t clientTally) kinds() string {
	s := ""
	for _, k := range []string{"ErrPeerGone", "ErrNoEndpoint", "ErrClosed"} {
		if n := t.errKinds[k]; n > 0 {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("%s %d", k, n)
		}
	}
	for k, n := range t.errKinds {
		if len(k) > 8 && k[:8] == "unclear:" {
			s += fmt.Sprintf("; %s ×%d", k, n)
		}
	}
	return s
}

type okCounts struct{ sends, posts int64 }

// sumOK adds up what the clients had answered and confirmed by
// incarnation id.
func sumOK(cs []*rclient, id int64) okCounts {
	var o okCounts
	for _, c := range cs {
		c.mu.Lock()
		o.sends += int64(c.ok[id])
		o.posts += int64(c.okP[id])
		c.mu.Unlock()
	}
	return o
}
