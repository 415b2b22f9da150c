// Command postbox-bridge connects this machine's Postbox endpoints to a NATS
// server: it exports local endpoints and makes remote ones reachable under
// local names (see package bridge). "postbox bridge" runs it.
//
//	postbox-bridge --nats nats.example.com:4222 viewer         # export viewer
//	postbox-bridge --nats nats.example.com:4222 --import viewer # use a remote viewer here
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/postbox-ipc/postbox/transport/nats/bridge"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := bridge.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
