// Command postbox sends, posts and receives Postbox messages from the shell,
// over every transport, NATS included; run "postbox help" for its commands.
//
// It is a module of its own so that the library's module needs no NATS:
//
//	go install github.com/postbox-ipc/postbox/cmd/postbox@latest
package main

import (
	"context"
	"io"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/cli"
	pbnats "github.com/postbox-ipc/postbox/transport/nats"
	"github.com/postbox-ipc/postbox/transport/nats/bridge"
)

func init() {
	cli.Register("bridge", "bridge local endpoints to a NATS server and remote ones here", func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
		return bridge.Main(ctx, args, stdout, stderr)
	})
	cli.RegisterBroadcast(pbnats.Scheme, func(ctx context.Context, url string, m postbox.Message, timeout time.Duration) ([]postbox.Result, error) {
		b := pbnats.Broadcaster{Timeout: timeout}
		return b.Broadcast(ctx, url, m)
	})
}

func main() { cli.Main() }
