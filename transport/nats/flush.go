package nats

import (
	"context"
	"time"

	"github.com/postbox-ipc/postbox"
)

// Flush waits until every Post made before it was acknowledged (or found
// lost), then reports the Posts lost since the last report as a
// *LostError.
func (c *conn) Flush(ctx context.Context) error {
	if c.js != nil {
		if err := c.durableFlush(ctx); err != nil {
			return err
		}
		return c.report()
	}
	c.mu.Lock()
	target := c.seq
	c.mu.Unlock()
	for !c.flushed(target) {
		select {
		case <-ctx.Done():
			c.mu.Lock()
			n := c.unackedLocked(target)
			c.mu.Unlock()
			return &postbox.LostError{Count: n, Err: ctxErr(ctx)}
		case <-c.acked:
		case <-time.After(c.liveness / 4): // another Flush may have taken the signal
		}
	}
	return c.report()
}

// flushed reports whether no Post up to target awaits its acknowledgement.
func (c *conn) flushed(target uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.postQ) > 0 && c.pending[c.postQ[0]] == nil {
		c.postQ = c.postQ[1:]
	}
	return len(c.postQ) == 0 || c.postQ[0] > target
}

func (c *conn) unackedLocked(target uint64) uint64 {
	var n uint64
	for _, seq := range c.postQ {
		if seq <= target && c.pending[seq] != nil {
			n++
		}
	}
	return n + c.lost
}

// report returns and clears the Posts lost so far.
func (c *conn) report() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lost == 0 {
		return nil
	}
	err := &postbox.LostError{Count: c.lost, Err: c.lostErr}
	c.lost, c.lostErr = 0, nil
	return err
}

// Close flushes for at most the close timeout, fails Sends still waiting
// with ErrClosed, and closes the NATS connection. Posts never acknowledged
// are reported as a *LostError.
func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), c.closeTO)
		c.closeErr = c.Flush(ctx)
		cancel()
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.failAll(postbox.ErrClosed)
		close(c.stop)
		c.wg.Wait()
		if c.js != nil {
			c.js.CleanupPublisher()
		}
		c.nc.Close()
		if err := c.report(); err != nil && c.closeErr == nil {
			c.closeErr = err
		}
	})
	return c.closeErr
}
