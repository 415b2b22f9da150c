package winmsg

import (
	"context"
	"fmt"
	"time"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// run delivers queued messages until the queue stops.
func (q *queue) run() {
	defer q.wg.Done()
	for {
		it, ok := q.next()
		if !ok {
			return
		}
		rep, err := q.deliver(it)
		q.finish(it, rep, err)
	}
}

// next takes the oldest message, waiting for one; false once stopped.
func (q *queue) next() (*item, bool) {
	for {
		q.mu.Lock()
		if q.stopped {
			q.mu.Unlock()
			return nil, false
		}
		if len(q.items) > 0 && !q.busy {
			it := q.items[0]
			q.items[0] = nil
			q.items = q.items[1:]
			q.bytes -= len(it.m.data)
			q.busy = true
			q.notify()
			q.mu.Unlock()
			return it, true
		}
		ch := q.changed
		q.mu.Unlock()
		<-ch
	}
}

// deliver hands one message to the window, within q.timeout.
func (q *queue) deliver(it *item) (transport.Reply, error) {
	if it.done == nil && !it.m.copyData() {
		ctx, cancel := context.WithTimeout(context.Background(), q.timeout)
		defer cancel()
		return transport.Reply{}, postWait(ctx, q.hwnd, &it.m)
	}
	timeout := q.timeout
	if it.ctx != nil {
		// A SendAsync whose context ended while it waited is not sent;
		// its deadline bounds the wait for the window.
		if it.ctx.Err() != nil {
			return transport.Reply{}, transport.CtxErr(it.ctx)
		}
		if dl, ok := it.ctx.Deadline(); ok {
			timeout = min(timeout, max(time.Until(dl), time.Millisecond))
		}
	}
	res, err := sendMessage(q.hwnd, &it.m, timeout)
	if err != nil && it.ctx != nil && it.ctx.Err() != nil {
		err = transport.CtxErr(it.ctx)
	}
	return transport.Reply{Result: res}, err
}

// finish records a delivery's outcome: a failed post is counted for the
// next report; a SendAsync gets its callback.
func (q *queue) finish(it *item, rep transport.Reply, err error) {
	q.mu.Lock()
	q.busy = false
	q.finished++
	if it.done == nil {
		q.pending--
		if err != nil {
			q.failLocked(1, err)
		}
	}
	q.notify()
	q.mu.Unlock()
	if it.done != nil {
		it.done(rep, err)
	}
}

// failLocked counts n failed posts. q.mu is held.
func (q *queue) failLocked(n uint64, err error) {
	if q.failed == 0 {
		q.firstErr = err
	}
	q.failed += n
}

// flush waits until every post queued before it was delivered, then
// reports the posts that failed since the last report as a *LostError.
// If ctx ends first, the posts still undelivered are reported too.
func (q *queue) flush(ctx context.Context) error {
	waitErr := q.drained(ctx)
	q.mu.Lock()
	defer q.mu.Unlock()
	if waitErr != nil {
		return &transport.LostError{Count: q.failed + q.pending, Err: waitErr}
	}
	if q.failed == 0 {
		return nil
	}
	err := &transport.LostError{Count: q.failed, Err: q.firstErr}
	q.failed, q.firstErr = 0, nil
	return err
}

// stop ends the worker after its current delivery and waits for it.
// Messages still queued are not delivered: posts among them are reported
// as lost, SendAsync callbacks get ErrClosed. stop is idempotent.
func (q *queue) stop() error {
	q.mu.Lock()
	if q.stopped {
		q.mu.Unlock()
		q.wg.Wait()
		return nil
	}
	q.stopped = true
	left := q.items
	q.items, q.bytes = nil, 0
	q.finished += uint64(len(left))
	q.notify()
	q.mu.Unlock()
	q.wg.Wait()
	var dropped uint64
	for _, it := range left {
		if it.done != nil {
			it.done(transport.Reply{}, transport.ErrClosed)
		} else {
			dropped++
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending -= dropped
	if dropped > 0 {
		q.failLocked(dropped, fmt.Errorf("%w: connection closed before delivery", transport.ErrClosed))
	}
	if q.failed == 0 {
		return nil
	}
	return &transport.LostError{Count: q.failed, Err: q.firstErr}
}
