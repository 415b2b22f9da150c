package cli

import (
	"context"
	"errors"
	"flag"
	"os"
	"strings"
	"syscall"

	"github.com/postbox-ipc/postbox"
)

// Exit statuses, the same on every subcommand (README, "The command").
const (
	ExitOK         = 0
	ExitFailure    = 1 // anything not listed below
	ExitUsage      = 2 // a bad command line, a bad address too
	ExitNoEndpoint = 3
	ExitTimeout    = 4
	ExitRemote     = 5 // the handler failed
	ExitPeerGone   = 6 // the endpoint went away before it answered
	ExitInterrupt  = 130
	ExitTerminated = 143
)

// signalCause is the cause with which Main cancels Run's context on a
// signal: Run then exits 128+N, as a shell reports a process the signal
// ended.
type signalCause struct {
	sig  os.Signal
	code int
}

func (s signalCause) Error() string { return "stopped by " + s.sig.String() }

// Signaled is the context cancellation cause for sig: a context cancelled
// with it makes Run exit 130 (SIGINT) or 143 (SIGTERM).
func Signaled(sig os.Signal) error {
	code := ExitInterrupt
	if sig == syscall.SIGTERM {
		code = ExitTerminated
	}
	return signalCause{sig, code}
}

// interrupted is the status for a context a signal ended, if one did.
func interrupted(ctx context.Context) (int, bool) {
	var s signalCause
	if errors.As(context.Cause(ctx), &s) {
		return s.code, true
	}
	return 0, false
}

// exitCode maps an error to the documented exit statuses.
func exitCode(err error) int {
	var ue usageError
	var re *postbox.RemoteError
	var es exitStatus
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &es):
		return es.code
	case errors.As(err, &ue), errors.Is(err, postbox.ErrBadAddress):
		return ExitUsage
	case errors.Is(err, postbox.ErrNoEndpoint):
		return ExitNoEndpoint
	case errors.Is(err, postbox.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return ExitTimeout // the handler's deadline too
	case errors.Is(err, postbox.ErrDenied):
		return ExitFailure // the endpoint refused, the handler never ran
	case errors.As(err, &re):
		return ExitRemote
	case errors.Is(err, postbox.ErrPeerGone):
		return ExitPeerGone
	}
	return ExitFailure
}

// codeNames name the statuses in --json errors.
var codeNames = map[int]string{
	ExitFailure: "failure", ExitUsage: "usage", ExitNoEndpoint: "no_endpoint", ExitTimeout: "timeout",
	ExitRemote: "handler_failed", ExitPeerGone: "peer_gone", ExitInterrupt: "interrupted", ExitTerminated: "terminated",
}

// describe is err for a person: the library's "postbox: " prefixes go (the
// line starts with "postbox COMMAND:" already) and an address said twice
// is said once.
func describe(err error) string {
	msg := err.Error()
	if op, ok := err.(*postbox.OpError); ok && op.Addr != "" {
		inner := strings.TrimSuffix(op.Err.Error(), ": "+op.Addr)
		msg = op.Op + " " + op.Addr + ": " + inner
	}
	return strings.ReplaceAll(msg, "postbox: ", "")
}
