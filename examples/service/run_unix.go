//go:build !windows

package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// run serves until SIGTERM (systemctl stop) or SIGINT.
func run(args []string, log *slog.Logger) error {
	c, err := parseFlags(flag.NewFlagSet("postbox-example", flag.ExitOnError), args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	return serve(ctx, c, log, nil)
}
