package postbox

import (
	"errors"
	"fmt"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// Sentinel errors, compared with errors.Is. Every error returned by this
// package wraps at most one of them in an *OpError.
var (
	// ErrNoEndpoint: nothing listens at the address.
	ErrNoEndpoint = transport.ErrNoEndpoint
	// ErrTimeout: a deadline passed. It also matches
	// context.DeadlineExceeded, and implements Timeout() bool.
	ErrTimeout = transport.ErrTimeout
	// ErrPeerGone: the other side closed or died before answering.
	ErrPeerGone = transport.ErrPeerGone
	// ErrNameInUse: a live endpoint already has the name.
	ErrNameInUse = transport.ErrNameInUse
	// ErrQueueFull: the receiver's queue is full (TryPost, SendAsync).
	ErrQueueFull = transport.ErrQueueFull
	// ErrTooLarge: the message exceeds the receiver's maximum size.
	ErrTooLarge = transport.ErrTooLarge
	// ErrDenied: the access policy refused the connection or message.
	ErrDenied = transport.ErrDenied
	// ErrProtocol: the peer broke the wire protocol; the connection ended.
	ErrProtocol = transport.ErrProtocol
	// ErrBadAddress: the address or name is malformed.
	ErrBadAddress = transport.ErrBadAddress
	// ErrLimit: a quota (connections, queued bytes) was reached.
	ErrLimit = transport.ErrLimit
	// ErrClosed: the Conn or Endpoint was closed. It is net.ErrClosed.
	ErrClosed = transport.ErrClosed
)

// RemoteError is a failure reported by the receiver: the handler's error
// text, or a recovered panic (Panicked reports which). It matches the
// sentinel a handler's error matched, so a handler returning ErrDenied makes
// errors.Is(err, ErrDenied) true for the sender.
type RemoteError = transport.RemoteError

// LostError reports posted messages whose acceptance the receiver never
// confirmed, because the connection ended first. It wraps the reason.
type LostError = transport.LostError

// UnhandledError reports posted messages an endpoint accepted but never
// handled because it closed first (Close, or a Shutdown whose context
// ended). Their senders were told the messages were accepted, so the
// endpoint reports them instead.
type UnhandledError struct {
	Posts int // accepted posted messages dropped unhandled
}

func (e *UnhandledError) Error() string {
	return fmt.Sprintf("%d accepted posted message(s) were not handled", e.Posts)
}

// OpError is the error type returned by the package's functions and
// methods: the operation, the address, and the cause.
type OpError struct {
	Op   string // "listen", "dial", "send", "post", "flush", "close", …
	Addr string // the endpoint's address
	Err  error  // the cause; errors.Is sees through OpError to it
}

func (e *OpError) Error() string {
	if e.Addr == "" {
		return "postbox: " + e.Op + ": " + e.Err.Error()
	}
	return "postbox: " + e.Op + " " + e.Addr + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

// Timeout reports whether the operation timed out.
func (e *OpError) Timeout() bool { return errors.Is(e.Err, ErrTimeout) }

func opErr(op, addr string, err error) error {
	if err == nil {
		return nil
	}
	return &OpError{Op: op, Addr: addr, Err: err}
}
