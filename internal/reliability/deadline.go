package reliability

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// The promised bound: a Send with a 50 ms deadline returns within 50 + 20 ms.
const (
	sendDeadline  = 50 * time.Millisecond
	deadlineSlack = 20 * time.Millisecond
)

var _ = add("DeadlineCutsLongHandler", func(t *testing.T, s *suite) {
	n := s.count(40, 200, 2000)
	fg := s.record(t, "%d Sends with a %s deadline to a handler that sleeps 10 s unless its context ends; each must fail with ErrTimeout within %s + %s and cancel the handler's context",
		n, ms(sendDeadline), ms(sendDeadline), ms(deadlineSlack))
	rx := s.receiver(t, rxConfig{})
	c := s.dial(t, rx.addr)
	var took []time.Duration
	var wrong int
	for i := range n {
		ctx, cancel := context.WithTimeout(context.Background(), sendDeadline)
		start := time.Now()
		_, err := c.Send(ctx, postbox.Message{ID: idNap, W: 10_000})
		took = append(took, time.Since(start))
		cancel()
		if !errors.Is(err, postbox.ErrTimeout) {
			wrong++
			t.Errorf("Send %d: %v, want ErrTimeout", i, err)
		}
	}
	// The naps were cut, or this Send would wait behind them for 10 s each.
	ctx, cancel := context.WithTimeout(testCtx(t), 5*time.Second)
	defer cancel()
	st, err := fetchStats(ctx, c, false)
	if err != nil {
		t.Fatalf("the receiver's counters: %v (a handler's context was not cancelled?)", err)
	}
	slices.Sort(took)
	bound := sendDeadline + deadlineSlack
	over := len(took) - sort(took, bound)
	fg.result(t, int64(wrong), "%d of %d returned ErrTimeout; Send returned after p50 %s, p99 %s, max %s (%d over %s); %d of %d handlers run had their context cancelled, at most %s after the deadline (the rest never ran: cancelled while queued)",
		n-wrong, n, ms(percentile(took, 50)), ms(percentile(took, 99)), ms(took[len(took)-1]), over, ms(bound),
		st.NapsCut, st.Naps, ms(time.Duration(st.NapLagMax)))
	// A Send whose deadline passed while it waited behind the previous
	// one never runs; every one that ran must have been cut.
	if st.NapsCut != st.Naps || st.Naps == 0 {
		t.Errorf("%d of %d handlers that ran saw their context cancelled", st.NapsCut, st.Naps)
	}
	s.checkBound(t, "Send with a 50 ms deadline", took, bound, 99)
})

var _ = add("DeadlineIgnoredByHandler", func(t *testing.T, s *suite) {
	n := s.count(5, 20, 100)
	fg := s.record(t, "%d Sends, each on its own connection, with a %s deadline to a handler that sleeps 10 s and ignores its context; each must fail with ErrTimeout within %s + %s, and the handler's context must be cancelled",
		n, ms(sendDeadline), ms(sendDeadline), ms(deadlineSlack))
	rx := s.receiver(t, rxConfig{Concurrency: n + 1})
	var took []time.Duration
	var wrong int
	for i := range n {
		c := s.dial(t, rx.addr)
		ctx, cancel := context.WithTimeout(context.Background(), sendDeadline)
		start := time.Now()
		_, err := c.Send(ctx, postbox.Message{ID: idSleep, W: 10_000})
		took = append(took, time.Since(start))
		cancel()
		if !errors.Is(err, postbox.ErrTimeout) {
			wrong++
			t.Errorf("Send %d: %v after %v, want ErrTimeout", i, err, took[i])
		}
	}
	c := s.dial(t, rx.addr)
	var st stats
	waitFor(t, 10*time.Second, func() bool {
		var err error
		st, err = fetchStats(testCtx(t), c, false)
		return err == nil && st.SleepsCut == int64(n)
	}, "%d sleeping handlers' contexts cancelled (have %d)", n, st.SleepsCut)
	slices.Sort(took)
	bound := sendDeadline + deadlineSlack
	fg.result(t, int64(wrong), "%d of %d returned ErrTimeout; Send returned after p50 %s, max %s; %d of %d handler contexts cancelled, at most %s after the deadline (%s)",
		n-wrong, n, ms(percentile(took, 50)), ms(took[len(took)-1]), st.SleepsCut, n, ms(time.Duration(st.SleepLagMax)), rx.where())
	s.checkBound(t, "Send with a 50 ms deadline to a handler ignoring it", took, bound, 99)
})

// sort returns how many of the sorted ds are at most bound.
func sort(ds []time.Duration, bound time.Duration) int {
	i, _ := slices.BinarySearch(ds, bound+1)
	return i
}

// checkBound asserts a timing bound the promises state, as strictly as the
// level allows. Quick and full runs share a machine with the race
// detector, other packages' tests or other jobs (a 2-vCPU CI runner with a
// load of 10 was seen to stretch a 50 ms deadline to 600 ms): there the
// median must meet the bound and no sample may take twenty times it, which
// still fails a bound not enforced at all (a hang, a wait for the handler)
// without flaking on a scheduling stall. Nightly, run alone, the p-th
// percentile must meet it. Every level reports the percentiles.
func (s *suite) checkBound(t *testing.T, what string, sorted []time.Duration, bound time.Duration, p float64) {
	t.Helper()
	worst := sorted[len(sorted)-1]
	if worst > 20*bound {
		t.Errorf("%s: the slowest took %s, over twenty times %s", what, ms(worst), ms(bound))
	}
	q, name := 50.0, "median"
	if s.level == Nightly {
		q, name = p, fmt.Sprintf("p%g", p)
	}
	if v := percentile(sorted, q); v > bound {
		t.Errorf("%s: %s %s, over %s", what, name, ms(v), ms(bound))
	}
}

var _ = add("LateReplyNeverDelivered", func(t *testing.T, s *suite) {
	const goroutines = 4
	n := s.count(15, 100, 1000)
	fg := s.record(t, "%d goroutines sharing one connection, %d rounds each: a Send with a 20 ms deadline to a handler that ignores it and answers after 60 ms, then at once a Send without deadline; the late answer must never reach the later call", goroutines, n)
	rx := s.receiver(t, rxConfig{})
	c := s.dial(t, rx.addr)
	var mu sync.Mutex
	var mismatched, timedOut, answered, rounds int
	var wg sync.WaitGroup
	for g := range int64(goroutines) {
		wg.Go(func() {
			for i := range int64(n) {
				late, err := lateRound(c, tag(g, 2*i), tag(g, 2*i+1))
				mu.Lock()
				rounds++
				if late {
					timedOut++
				}
				if err != nil {
					mismatched++
					t.Error(err)
				} else {
					answered++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	fg.result(t, int64(mismatched), "%d of %d Sends timed out and were answered late (the rest got their own answer, their goroutine not scheduled until it had come); %d later Sends each got their own answer, %d got another's",
		timedOut, rounds, answered, mismatched)
	if timedOut < rounds/2 {
		t.Errorf("only %d of %d Sends with a 20 ms deadline to a 60 ms handler timed out", timedOut, rounds)
	}
})

// lateRound sends first with a deadline shorter than its handler takes,
// then second without one, and checks that second gets its own answer. It
// reports whether first timed out; it may instead get its own answer, when
// this goroutine was not scheduled until after the answer came (a busy
// machine), never another's.
func lateRound(c *postbox.Conn, first, second int64) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	rep, err := c.Send(ctx, postbox.Message{ID: idSleep, W: 60, L: first})
	cancel()
	late := errors.Is(err, postbox.ErrTimeout)
	switch {
	case err == nil && rep.Result != first:
		return late, fmt.Errorf("send %x got the answer %x", first, rep.Result)
	case err != nil && !late:
		return late, fmt.Errorf("send %x: %v, want ErrTimeout", first, err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err = c.Send(ctx, postbox.Message{ID: idEcho, L: second})
	if err != nil {
		return late, fmt.Errorf("send %x: %v", second, err)
	}
	if rep.Result != second {
		return late, fmt.Errorf("send %x got the answer %x: a late reply reached a later call", second, rep.Result)
	}
	return late, nil
}
