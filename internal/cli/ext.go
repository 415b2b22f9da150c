package cli

import (
	"context"
	"io"
	"time"

	"github.com/postbox-ipc/postbox"
)

// The command's NATS parts live in the NATS module, which this package's
// module must not depend on (a library user who never uses NATS gets no
// NATS in their module graph). Package main of cmd/postbox — a module of
// its own that requires both — adds them with Register and
// RegisterBroadcast before it calls Run.

// Subcommand is a whole subcommand: it parses args (without the program and
// subcommand names) and returns the exit status.
type Subcommand func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// Register adds the subcommand name, shown in "postbox help" with summary.
func Register(name, summary string, main Subcommand) {
	register(name, summary, func(e *env, args []string) error {
		if code := main(e.ctx, args, e.stdin, e.stdout, e.stderr); code != ExitOK {
			return exitStatus{code}
		}
		return nil
	})
}

// BroadcastFunc sends m to every endpoint behind url and gathers their
// results, waiting at most timeout for each.
type BroadcastFunc func(ctx context.Context, url string, m postbox.Message, timeout time.Duration) ([]postbox.Result, error)

// broadcasters serve "postbox broadcast --nats URL", by scheme.
var broadcasters = map[string]BroadcastFunc{}

// RegisterBroadcast makes "postbox broadcast --SCHEME URL" use b.
func RegisterBroadcast(scheme string, b BroadcastFunc) { broadcasters[scheme] = b }

// exitStatus is a status a registered subcommand returned; it has
// already said why.
type exitStatus struct{ code int }

func (e exitStatus) Error() string { return "" }
