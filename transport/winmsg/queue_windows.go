package winmsg

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/windows"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// Bounds of a connection's queue of undelivered messages.
const (
	queueLen   = 10000 // like a window's posted-message queue
	queueBytes = 64 << 20
)

// item is a queued message: a Post, or a SendAsync with its callback.
type item struct {
	m    wire
	done func(transport.Reply, error) // nil for a Post
	ctx  context.Context              // a SendAsync's; nil for a Post
}

// queue delivers a connection's asynchronous messages one at a time, in
// order, from its own goroutine: posts with data as WM_COPYDATA (the only
// way data crosses processes), posts without data as PostMessage, and
// SendAsync as SendMessageTimeout. Each delivery may take up to timeout.
// Failed posts are counted for Flush and Close to report.
type queue struct {
	hwnd    windows.HWND
	timeout time.Duration

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every change
	items    []*item
	bytes    int
	busy     bool   // a delivery is under way (the worker's or a direct post)
	enqueued uint64 // items ever queued
	finished uint64 // items delivered or failed
	pending  uint64 // posts queued or under way
	failed   uint64 // posts that failed since the last report
	firstErr error  // why the first of them failed
	stopped  bool

	wg sync.WaitGroup
}

func newQueue(hwnd windows.HWND, timeout time.Duration) *queue {
	q := &queue{hwnd: hwnd, timeout: timeout, changed: make(chan struct{})}
	q.wg.Add(1)
	go q.run()
	return q
}

// notify wakes everyone waiting for a change. q.mu is held.
func (q *queue) notify() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// await waits until cond holds (checked with q.mu held) or ctx ends.
func (q *queue) await(ctx context.Context, cond func() bool) error {
	for {
		q.mu.Lock()
		if cond() {
			q.mu.Unlock()
			return nil
		}
		ch := q.changed
		q.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return transport.CtxErr(ctx)
		}
	}
}

// push queues it, waiting for space while block is set and ctx allows.
func (q *queue) push(ctx context.Context, it *item, block bool) error {
	full := func() bool { return len(q.items) >= queueLen || q.bytes+len(it.m.data) > queueBytes }
	for {
		q.mu.Lock()
		switch {
		case q.stopped:
			q.mu.Unlock()
			return transport.ErrClosed
		case !full():
			q.add(it)
			q.mu.Unlock()
			return nil
		}
		q.mu.Unlock()
		if !block {
			return transport.ErrQueueFull
		}
		if err := q.await(ctx, func() bool { return q.stopped || !full() }); err != nil {
			return fmt.Errorf("%w: %w", transport.ErrQueueFull, err)
		}
	}
}

// add appends it. q.mu is held.
func (q *queue) add(it *item) {
	q.items = append(q.items, it)
	q.bytes += len(it.m.data)
	q.enqueued++
	if it.done == nil {
		q.pending++
	}
	q.notify()
}

// reserveDirect lets the caller deliver a message itself, when nothing is
// queued or under way, so it keeps its place in the order; release with
// endDirect.
func (q *queue) reserveDirect() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped || q.busy || len(q.items) > 0 {
		return false
	}
	q.busy = true
	q.enqueued++
	return true
}

func (q *queue) endDirect() {
	q.mu.Lock()
	q.busy = false
	q.finished++
	q.notify()
	q.mu.Unlock()
}

// drained waits until every message queued before the call has been
// delivered (or failed): a Send keeps its place after earlier posts.
func (q *queue) drained(ctx context.Context) error {
	q.mu.Lock()
	target := q.enqueued
	q.mu.Unlock()
	return q.await(ctx, func() bool { return q.finished >= target })
}
