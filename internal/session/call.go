package session

import (
	"sync"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// call is one waiter: a Send, a Sync, or a wait for credit.
type call struct {
	ch        chan struct{} // receives one signal when done is set
	done      bool
	abandoned bool  // the caller gave up; the answer only returns credit
	size      int64 // credit bytes held by a Send
	rep       transport.Reply
	err       error
	cb        func(transport.Reply, error) // SendAsync
	stop      func() bool                  // stops watching a SendAsync's context
	sync      bool                         // a Sync, not a Send
}

var callPool = sync.Pool{New: func() any { return &call{ch: make(chan struct{}, 1)} }}

func getCall() *call { return callPool.Get().(*call) }

func putCall(cl *call) {
	select {
	case <-cl.ch:
	default:
	}
	ch := cl.ch
	*cl = call{ch: ch}
	callPool.Put(cl)
}

// finish marks cl done and wakes its waiter. c.mu is held.
func (c *Client) finish(cl *call) {
	if cl.done {
		return
	}
	cl.done = true
	c.needRead--
	if cl.cb == nil {
		c.woke = true // a goroutine waits on cl.ch
	}
	select {
	case cl.ch <- struct{}{}:
	default:
	}
}
