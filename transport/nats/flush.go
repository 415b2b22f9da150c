package nats

import (
	"context"
	"github.com/postbox-ipc/postbox/driver"

	gonats "github.com/nats-io/nats.go"
)

// Flush waits until the instance has accepted every Post made before it:
// it asks (a Sync) unless credit already says so.
func (c *conn) Flush(ctx context.Context) error {
	if c.js != nil {
		if err := c.durableFlush(ctx); err != nil {
			return err
		}
		return c.report()
	}
	c.mu.Lock()
	target := c.posted
	for max(c.credited, c.synced) < target {
		if c.err != nil {
			err := c.lostLocked()
			c.mu.Unlock()
			return err
		}
		c.mu.Unlock()
		if err := c.sync(ctx, target); err != nil {
			return err
		}
		c.mu.Lock()
	}
	c.mu.Unlock()
	return c.report()
}

// sync asks the instance to confirm every Post up to target.
func (c *conn) sync(ctx context.Context, target uint64) error {
	w := &waiter{sync: true, target: target, ch: make(chan result, 1)}
	seq, err := c.register(w)
	if err != nil {
		return c.lost(err)
	}
	m := &gonats.Msg{Subject: c.inst, Reply: w.reply, Header: gonats.Header{HeaderKind: {KindSync}}}
	if err := c.nc.PublishMsg(m); err != nil {
		c.abandon(seq)
		_ = c.publishFailed(err) // fails the connection; the Flush reports the loss
		return c.lost(err)
	}
	select {
	case res := <-w.ch:
		if res.err != nil {
			return c.lost(res.err)
		}
		return nil
	case <-ctx.Done():
		if !c.abandon(seq) {
			<-w.ch
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return &driver.LostError{Count: c.posted - max(c.credited, c.synced), Err: ctxErr(ctx)}
	}
}

// lost is lostLocked for a failure seen by one waiter (cause) that may not
// yet have failed the whole connection.
func (c *conn) lost(cause error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		n := c.posted - max(c.credited, c.synced) + c.refusals
		if n > 0 {
			return &driver.LostError{Count: n, Err: cause}
		}
		return cause
	}
	return c.lostLocked()
}

// lostLocked reports Posts never confirmed by a failed connection: every
// time, as the connection stays failed. c.mu is held.
func (c *conn) lostLocked() error {
	n := c.posted - max(c.credited, c.synced) + c.refusals
	if n > 0 {
		return &driver.LostError{Count: n, Err: c.err}
	}
	return c.err
}

// report returns the Posts a healthy instance refused since the last
// report.
func (c *conn) report() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refusals == 0 {
		return nil
	}
	err := &driver.LostError{Count: c.refusals, Err: c.refusal}
	c.refusals, c.refusal = 0, nil
	return err
}

// Close flushes for at most the close timeout, fails Sends still waiting
// with ErrClosed, and closes the NATS connection. Posts never confirmed
// are reported as a *LostError.
func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		if c.inst != "" || c.js != nil {
			ctx, cancel := context.WithTimeout(context.Background(), c.closeTO)
			c.closeErr = c.Flush(ctx)
			cancel()
		}
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.fail(driver.ErrClosed)
		close(c.stop)
		c.wg.Wait()
		if c.js != nil {
			c.js.CleanupPublisher()
		}
		c.nc.Close()
	})
	return c.closeErr
}
