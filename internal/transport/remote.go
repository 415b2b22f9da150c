package transport

import (
	"context"
	"errors"
	"fmt"
)

// Code classifies an error that crosses a connection, so the far side can
// rebuild an error that matches the right sentinel.
type Code uint32

// Error codes carried on the wire. Zero is never sent.
const (
	CodeHandler    Code = 1 // the handler returned an error
	CodePanic      Code = 2 // the handler panicked
	CodeTimeout    Code = 3 // the handler's deadline passed
	CodeCanceled   Code = 4 // the handler saw its context cancelled
	CodeTooLarge   Code = 5
	CodeDenied     Code = 6
	CodeClosed     Code = 7 // the endpoint is closing
	CodeNoEndpoint Code = 8
	CodeQueueFull  Code = 9
	CodeProtocol   Code = 10
	maxCode        Code = 10
)

// Valid reports whether c is a code this version knows.
func (c Code) Valid() bool { return c >= CodeHandler && c <= maxCode }

// RemoteError is a failure reported by the receiving side: the handler's error
// text or a recovered panic. It matches the sentinel named by its code, so a
// handler that returns ErrDenied makes errors.Is(err, ErrDenied) true for the
// sender.
type RemoteError struct {
	Code    Code
	Message string
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
func (e *RemoteError) Unwrap() error { return codeSentinel(e.Code) }

func codeSentinel(c Code) error {
	switch c {
	case CodeTimeout:
		return ErrTimeout
	case CodeCanceled:
		return context.Canceled
	case CodeTooLarge:
		return ErrTooLarge
	case CodeDenied:
		return ErrDenied
	case CodeClosed:
		return ErrClosed
	case CodeNoEndpoint:
		return ErrNoEndpoint
	case CodeQueueFull:
		return ErrQueueFull
	case CodeProtocol:
		return ErrProtocol
	}
	return nil
}

// CodeOf classifies a handler's error for the wire.
func CodeOf(err error) Code {
	var re *RemoteError
	switch {
	case errors.As(err, &re) && re.Code.Valid():
		return re.Code
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	case errors.Is(err, ErrTooLarge):
		return CodeTooLarge
	case errors.Is(err, ErrDenied):
		return CodeDenied
	case errors.Is(err, ErrClosed):
		return CodeClosed
	case errors.Is(err, ErrNoEndpoint):
		return CodeNoEndpoint
	case errors.Is(err, ErrQueueFull):
		return CodeQueueFull
	}
	return CodeHandler
}

// PanicError wraps a recovered panic value as a RemoteError.
func PanicError(v any) *RemoteError {
	return &RemoteError{Code: CodePanic, Message: fmt.Sprint(v)}
}
