package reliability

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// closeBound is how long a Close may take here: Conn.Close with nothing to
// flush, and Endpoint.Close with handlers that honour their context.
const closeBound = 2 * time.Second

// sendOutcomes counts how in-flight Sends ended.
type sendOutcomes struct {
	mu                    sync.Mutex
	answered, closed, bad int
	firstBad              error
}

func (o *sendOutcomes) add(rep postbox.Reply, err error, want int64, okErr func(error) bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case err == nil && rep.Result == want:
		o.answered++
	case err != nil && okErr(err):
		o.closed++
	default:
		o.bad++
		if o.firstBad == nil {
			o.firstBad = err
			if err == nil {
				o.firstBad = errors.New("a Send got another's answer")
			}
		}
	}
}

var _ = add("ConnCloseDuringSends", func(t *testing.T, s *suite) {
	const n = 1000
	fg := s.record(t, "%d Sends in flight on one connection (handler takes 1 ms each), Close after 20 ms: each Send gets its own answer or ErrClosed; Close returns within %s and again, idempotently; Sends after it fail with ErrClosed", n, ms(closeBound))
	rx := s.receiver(t, rxConfig{})
	c, err := s.dialer().Dial(testCtx(t), rx.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	o, wg := inFlight(t, c, n, idSleep, isClosed)
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	err1 := c.Close()
	took := time.Since(start)
	err2 := c.Close()
	wg.Wait()
	_, after := c.Send(testCtx(t), postbox.Message{ID: idEcho})
	fg.result(t, int64(o.bad), "%d answered, %d ErrClosed, %d otherwise; Close took %s and returned %v, then %v",
		o.answered, o.closed, o.bad, ms(took), err1, err2)
	if o.bad > 0 {
		t.Errorf("%d Sends ended otherwise, the first with %v", o.bad, o.firstBad)
	}
	if err1 != nil || err2 != nil || took > closeBound {
		t.Errorf("Close: %v after %v, then %v; want nil twice within %v", err1, took, err2, closeBound)
	}
	if !errors.Is(after, postbox.ErrClosed) {
		t.Errorf("Send after Close: %v, want ErrClosed", after)
	}
	if o.closed == 0 {
		t.Errorf("no Send was still in flight at Close: the test did not test it")
	}
})

var _ = add("ConnCloseBoundedWithStuckReceiver", func(t *testing.T, s *suite) {
	const posts = 100
	closeTO := 200 * time.Millisecond
	rx := s.receiver(t, rxConfig{QueueLen: 64})
	how := "stalled (its handler blocks: posts are accepted, not handled)"
	var thaw func()
	if rx.proc != nil {
		how = "frozen with SIGSTOP (alive, reading nothing)"
	} else {
		rx.stall(t, s)
	}
	fg := s.record(t, "receiver %s; queue of 64; %d TryPosts and 10 Sends pending; Close with a %s CloseTimeout must return within %s, fail the Sends with ErrClosed and report the Posts not confirmed as a *LostError",
		how, posts, ms(closeTO), ms(closeTO+closeBound))
	d := s.dialer()
	d.CloseTimeout = closeTO
	c, err := d.Dial(testCtx(t), rx.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() }) // if the test ends early; Close is idempotent
	if rx.proc != nil {
		if thaw, err = rx.proc.freeze(); err != nil {
			fg.result(t, 0, "skipped: %v", err)
			t.Skip(err)
		}
		defer thaw()
	}
	accepted := 0
	for i := range int64(posts) {
		if c.TryPost(postbox.Message{ID: idPost, W: 1, L: i}) == nil {
			accepted++
		}
	}
	o, wg := inFlight(t, c, 10, idEcho, isClosed)
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	err1 := c.Close()
	took := time.Since(start)
	err2 := c.Close()
	settled := waitTimeout(wg, closeBound)
	var le *postbox.LostError
	var lost int64
	if errors.As(err1, &le) {
		lost = int64(le.Count)
	}
	wantLost := int64(0) // accepted into the queue is confirmed
	if thaw != nil {
		wantLost = int64(accepted) // a frozen receiver confirms nothing
	}
	fg.result(t, lost-wantLost, "Close took %s and returned %v; the second Close returned the same; pending Sends: %d ErrClosed, %d otherwise, %d still waiting %s later",
		ms(took), err1, o.closed, o.bad+o.answered, 10-o.closed-o.bad-o.answered, ms(closeBound))
	if !settled {
		t.Fatalf("Sends still waiting %v after Close returned", closeBound)
	}
	if lost != wantLost || fmt.Sprint(err1) != fmt.Sprint(err2) {
		t.Errorf("Close: %v, then %v; want %d posts reported lost, twice", err1, err2, wantLost)
	}
	if took > closeTO+closeBound {
		t.Errorf("Close took %v with a %v CloseTimeout", took, closeTO)
	}
	if o.closed != 10 {
		t.Errorf("%d of 10 pending Sends failed with ErrClosed (first other: %v)", o.closed, o.firstBad)
	}
})

// inFlight starts n Sends of message id (W 1: a handler that sleeps
// sleeps 1 ms) on c, each tagged L = its number, and counts how they end:
// their own answer, an error okErr accepts, or otherwise.
func inFlight(t *testing.T, c *postbox.Conn, n int, id uint32, okErr func(error) bool) (*sendOutcomes, *sync.WaitGroup) {
	o := new(sendOutcomes)
	wg := new(sync.WaitGroup)
	for i := range int64(n) {
		wg.Go(func() {
			rep, err := c.Send(testCtx(t), postbox.Message{ID: id, W: 1, L: i})
			o.add(rep, err, i, okErr)
		})
	}
	return o, wg
}

func isClosed(err error) bool { return errors.Is(err, postbox.ErrClosed) }

// waitTimeout waits for wg for at most d, and reports whether it finished.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

var _ = add("EndpointCloseDuringSends", func(t *testing.T, s *suite) {
	const conns, per = 10, 100
	fg := s.record(t, "an endpoint in this process with %d connections × %d Sends in flight (handler takes 1 ms, honours its context); Endpoint.Close after 20 ms: each Send gets its own answer, ErrClosed or ErrPeerGone; Close returns within %s, and again", conns, per, ms(closeBound))
	srv := newServer(nil)
	ep, addr := s.listen(t, srv, func(lc *postbox.ListenConfig) { lc.Concurrency = 4 })
	var o sendOutcomes
	var wg sync.WaitGroup
	for range conns {
		c := s.dial(t, addr)
		for i := range int64(per) {
			wg.Go(func() {
				rep, err := c.Send(testCtx(t), postbox.Message{ID: idNap, W: 1, L: i})
				if err == nil {
					rep.Result = i // idNap answers nothing: a nil error is its answer
				}
				o.add(rep, err, i, func(err error) bool {
					return errors.Is(err, postbox.ErrClosed) || errors.Is(err, postbox.ErrPeerGone)
				})
			})
		}
	}
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	err1 := ep.Close()
	took := time.Since(start)
	err2 := ep.Close()
	wg.Wait()
	fg.result(t, int64(o.bad), "%d answered, %d ErrClosed or ErrPeerGone, %d otherwise; Close took %s and returned %v, then %v",
		o.answered, o.closed, o.bad, ms(took), err1, err2)
	if o.bad > 0 {
		t.Errorf("%d Sends ended otherwise, the first with %v", o.bad, o.firstBad)
	}
	if took > closeBound || err1 != err2 {
		t.Errorf("Close: %v after %v, then %v", err1, took, err2)
	}
	if _, err := s.dialer().Dial(testCtx(t), addr); !errors.Is(err, postbox.ErrNoEndpoint) {
		t.Errorf("Dial after Close: %v, want ErrNoEndpoint", err)
	}
})

var _ = add("EndpointCloseWakesBlockedPosts", func(t *testing.T, s *suite) {
	const queue, blocked = 16, 8
	fg := s.record(t, "an endpoint in this process, handler stalled, queue of %d filled; %d Posts blocked waiting for room (no deadline); Endpoint.Close must end every one of them within %s; Flush must not confirm one that returned nil", queue, blocked, ms(closeBound))
	rx := s.localReceiver(t, rxConfig{QueueLen: queue})
	rx.stall(t, s)
	c := s.dial(t, rx.addr)
	queued := 0
	for c.TryPost(postbox.Message{ID: idPost, W: 9}) == nil {
		queued++
	}
	errs := make(chan error, blocked)
	for range blocked {
		go func() { errs <- c.Post(testCtx(t), postbox.Message{ID: idPost, W: 9}) }()
	}
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-errs:
		t.Fatalf("a Post into a full queue returned before Close: %v", err)
	default:
	}
	start := time.Now()
	cerr := rx.ep.Close()
	var failed int
	for range blocked {
		select {
		case err := <-errs:
			if err != nil {
				failed++
			}
		case <-time.After(closeBound):
			t.Fatalf("Posts still blocked %v after Endpoint.Close", closeBound)
		}
	}
	took := time.Since(start)
	// No post was ever handled: each must be reported by one side or the
	// other. Over a session stream the sender's count is exact: every one
	// Post let through comes back as lost (credit for a dropped post would
	// say "handled"). Elsewhere a Post that returned nil may already be
	// confirmed (in-process it is in the queue), and the endpoint reports
	// it.
	ferr := c.Flush(testCtx(t))
	var le *postbox.LostError
	var lost int
	if errors.As(ferr, &le) {
		lost = int(le.Count)
	}
	var reported int
	fmt.Sscanf(afterColon(cerr), "%d accepted posted message(s) were not handled", &reported)
	through := queued + blocked - failed
	unseen := max(through-lost-reported, 0)
	fg.result(t, int64(unseen), "all %d blocked Posts ended %s after Close, %d with an error; of %d Posts let through, the sender's Flush reported %d lost, the endpoint %d unhandled",
		blocked, ms(took), failed, through, lost, reported)
	if reported != queued || unseen > 0 || s.Raw != nil && lost != through {
		t.Errorf("Flush: %v; Endpoint.Close: %v; want all %d reported (%d by the endpoint)", ferr, cerr, through, queued)
	}
})

var _ = add("EndpointCloseReportsQueuedPosts", func(t *testing.T, s *suite) {
	const n = 100
	fg := s.record(t, "an endpoint in this process, handler stalled; %d Posts accepted into its queue, none flushed; Endpoint.Close drops them: it must report %d unhandled, and over a session stream the sender's Flush must report them lost", n, n)
	rx := s.localReceiver(t, rxConfig{})
	rx.stall(t, s)
	c := s.dial(t, rx.addr)
	for i := range int64(n) {
		if err := c.TryPost(postbox.Message{ID: idPost, W: 9, L: i}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond) // let the endpoint read them all
	cerr := rx.ep.Close()
	var reported int
	fmt.Sscanf(afterColon(cerr), "%d accepted posted message(s) were not handled", &reported)
	ferr := c.Flush(testCtx(t))
	var le *postbox.LostError
	var lost int
	if errors.As(ferr, &le) {
		lost = int(le.Count)
	}
	fg.result(t, int64(n-max(reported, lost)), "Endpoint.Close reported %d of %d unhandled; the sender's Flush reported %d lost (%v)", reported, n, lost, ferr)
	// Over a session stream the sender learns of every one; elsewhere a
	// Post that returned nil may already be confirmed (in-process it is in
	// the queue), and the endpoint's report is the one.
	if reported != n || s.Raw != nil && lost != n {
		t.Errorf("Endpoint.Close: %v; Flush: %v; want %d reported by the endpoint and, over a stream, by the sender", cerr, ferr, n)
	}
})

// afterColon returns the text of err after its last ": ", or "".
func afterColon(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	for i := len(s) - 2; i >= 0; i-- {
		if s[i] == ':' && s[i+1] == ' ' {
			return s[i+2:]
		}
	}
	return s
}
