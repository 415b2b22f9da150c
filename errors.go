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
// sentinel its Code stands for, so a handler returning ErrDenied makes
// errors.Is(err, ErrDenied) true for the sender. A handler may return a
// *RemoteError itself to choose the code the sender sees.
type RemoteError struct {
	Code    Code   // what kind of failure
	Message string // the handler's error text, or the panic value
}

func (e *RemoteError) Error() string {
	if e.Code == CodePanic {
		return "handler panicked: " + e.Message
	}
	return "handler failed: " + e.Message
}

// Panicked reports whether the handler panicked.
func (e *RemoteError) Panicked() bool { return e.Code == CodePanic }

// Timeout reports whether the handler failed because its deadline passed.
func (e *RemoteError) Timeout() bool { return e.Code == CodeTimeout }

// Unwrap returns the sentinel the code stands for, if any.
func (e *RemoteError) Unwrap() error { return e.internal().Unwrap() }

func (e *RemoteError) internal() *transport.RemoteError {
	return &transport.RemoteError{Code: transport.Code(e.Code), Message: e.Message}
}

// Code classifies a failure that crosses a connection, so that the sender
// rebuilds an error matching the right sentinel. The numbers are the wire
// protocol's (docs/PROTOCOL.md).
type Code uint32

// The codes a RemoteError carries.
const (
	CodeHandler    Code = 1  // the handler returned an error
	CodePanic      Code = 2  // the handler panicked
	CodeTimeout    Code = 3  // the handler's deadline passed: ErrTimeout
	CodeCanceled   Code = 4  // the handler saw its context cancelled: context.Canceled
	CodeTooLarge   Code = 5  // ErrTooLarge
	CodeDenied     Code = 6  // ErrDenied
	CodeClosed     Code = 7  // the endpoint is closing: ErrClosed
	CodeNoEndpoint Code = 8  // ErrNoEndpoint
	CodeQueueFull  Code = 9  // ErrQueueFull
	CodeProtocol   Code = 10 // ErrProtocol
)

// LostError reports posted messages whose acceptance the receiver never
// confirmed, because the connection ended first. They may or may not have
// been handled; they were not dropped unseen. It wraps the reason.
type LostError struct {
	Count uint64 // posts sent but not confirmed
	Err   error  // why the connection ended
}

func (e *LostError) Error() string {
	return fmt.Sprintf("%d posted message(s) not confirmed: %v", e.Count, e.Err)
}

// Unwrap returns the reason.
func (e *LostError) Unwrap() error { return e.Err }

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
	return &OpError{Op: op, Addr: addr, Err: publicErr(err)}
}
