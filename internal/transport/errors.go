package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// Sentinel errors. Compare with errors.Is.
var (
	ErrNoEndpoint = errors.New("no such endpoint")
	ErrPeerGone   = errors.New("peer gone")
	ErrNameInUse  = errors.New("name in use")
	ErrQueueFull  = errors.New("queue full")
	ErrTooLarge   = errors.New("message too large")
	ErrDenied     = errors.New("access denied")
	ErrProtocol   = errors.New("protocol error")
	ErrBadAddress = errors.New("bad address")
	ErrLimit      = errors.New("limit reached")
	ErrClosed     = net.ErrClosed

	// ErrTimeout reports that a deadline passed. It also matches
	// context.DeadlineExceeded, and has a Timeout method returning true.
	ErrTimeout error = timeoutError{}
)

type timeoutError struct{}

func (timeoutError) Error() string   { return "timed out" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
func (timeoutError) Is(target error) bool {
	return target == context.DeadlineExceeded
}

// CtxErr converts a context's error into the package's vocabulary: a passed
// deadline becomes ErrTimeout; cancellation stays context.Canceled.
func CtxErr(ctx context.Context) error {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrTimeout
	}
	return err
}

// LostError reports posted messages whose acceptance the receiver never
// confirmed because the connection ended first. They may or may not have
// been handled; they were not silently dropped.
type LostError struct {
	Count uint64 // posts sent but not confirmed
	Err   error  // why the connection ended
}

func (e *LostError) Error() string {
	return fmt.Sprintf("%d posted message(s) not confirmed: %v", e.Count, e.Err)
}

func (e *LostError) Unwrap() error { return e.Err }
