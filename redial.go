package postbox

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// redialer is the state of a Conn dialed with Dialer.Redial: the current
// connection, replaced by a new one for the first message after it ended.
type redialer struct {
	dial func(ctx context.Context) (transport.Conn, error)
	cur  atomic.Pointer[held] // read on every call, without a lock

	mu     sync.Mutex // serializes redials and Close
	lost   []error    // what replaced connections left unconfirmed
	closed bool
}

// held is one connection and whether it ended.
type held struct {
	tc    transport.Conn
	ended atomic.Bool
}

// conn returns the connection to use for a new message: the current one,
// or a new one when the current one ended.
func (r *redialer) conn(ctx context.Context) (*held, error) {
	h := r.cur.Load()
	if !h.ended.Load() {
		return h, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	if h = r.cur.Load(); !h.ended.Load() {
		return h, nil // another caller redialed
	}
	tc, err := r.dial(ctx)
	if err != nil {
		return nil, err
	}
	if err := h.tc.Close(); err != nil {
		r.lost = append(r.lost, err)
	}
	n := &held{tc: tc}
	r.cur.Store(n)
	return n, nil
}

// note marks h ended when err says its connection is gone for good: the
// peer died or closed it, or it is draining and takes no new messages. A
// handler's own error never does, whatever it matches.
func (r *redialer) note(h *held, err error) {
	if err != nil && ended(err) {
		h.ended.Store(true)
	}
}

func ended(err error) bool {
	var re *transport.RemoteError
	if errors.As(err, &re) {
		return re == transport.ErrDraining || re.Code == transport.CodeClosed && re.Message == drainingText
	}
	var le *transport.LostError
	return errors.Is(err, ErrPeerGone) || errors.Is(err, ErrClosed) || errors.As(err, &le)
}

var drainingText = transport.ErrDraining.(*transport.RemoteError).Message

// takeLost returns, once, what the connections replaced so far left
// unconfirmed.
func (r *redialer) takeLost() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := errors.Join(r.lost...)
	r.lost = nil
	return err
}

// close closes the current connection and reports it together with what
// the replaced ones left unconfirmed.
func (r *redialer) close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	err := r.cur.Load().tc.Close()
	return errors.Join(r.takeLost(), err)
}
