// Command peerbench is "postbox bench" with the peer libraries added: every
// Postbox transport, the raw baselines and the peers, in one run, with the
// same flags (peerbench --help).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/postbox-ipc/postbox/bench/peers" // registers the peers
	"github.com/postbox-ipc/postbox/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	cmd := &bench.Command{Prog: "peerbench", ChildArgs: []string{"--child"}}
	err := cmd.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return
	case errors.Is(err, bench.ErrUsage):
		fmt.Fprintln(os.Stderr, "peerbench:", err)
		os.Exit(2)
	}
	fmt.Fprintln(os.Stderr, "peerbench:", err)
	os.Exit(1)
}
