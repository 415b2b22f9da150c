package bridge

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	gonats "github.com/nats-io/nats.go"

	"github.com/postbox-ipc/postbox"
	pbnats "github.com/postbox-ipc/postbox/transport/nats"
)

// Exit statuses of Main, the postbox command's.
const (
	ExitOK         = 0
	ExitFailure    = 1
	ExitUsage      = 2
	ExitNoEndpoint = 3 // no NATS server at the address
)

// Main is the "postbox bridge" command: it parses args (without the program
// name), bridges until ctx ends, and returns the exit status.
//
//	postbox bridge --nats URL [--import NAME[=LOCAL]]... [--all] [NAME...]
//
// NAMEs are local endpoints to export. With no NAME and no --import, or
// with --all, every local endpoint is exported.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseArgs(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "postbox bridge: %v\nRun 'postbox help bridge' for usage.\n", err)
		return ExitUsage
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	b, err := Start(ctx, *cfg)
	if err != nil {
		fmt.Fprintln(stderr, "postbox bridge:", strings.ReplaceAll(err.Error(), "postbox: ", ""))
		if errors.Is(err, postbox.ErrNoEndpoint) {
			return ExitNoEndpoint
		}
		return ExitFailure
	}
	fmt.Fprintf(stdout, "bridging %s: exported [%s], imported [%s]\n", cfg.NATS,
		strings.Join(b.Exported(), " "), strings.Join(b.Imported(), " "))
	<-ctx.Done()
	if err := b.Close(); err != nil {
		fmt.Fprintln(stderr, "postbox bridge:", err)
		return ExitFailure
	}
	return ExitOK
}

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

// parseArgs parses the command line; --help prints the help to stdout.
func parseArgs(args []string, stdout io.Writer) (*Config, error) {
	fs := flag.NewFlagSet("postbox bridge", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // Main reports a bad flag, once
	cfg := &Config{}
	var imports list
	all := fs.Bool("all", false, "export every local endpoint (the default without NAMEs and --import)")
	fs.StringVar(&cfg.NATS, "nats", "", "NATS server: host:port or nats://host:port (required)")
	fs.Var(&imports, "import", "make a remote endpoint reachable here: NAME or NAME=LOCAL (repeatable)")
	prefix := fs.String("prefix", "", "subject prefix (default "+pbnats.DefaultPrefix+")")
	creds := fs.String("creds", "", "NATS credentials file")
	liveness := fs.Duration("liveness", 0, "how long a silent receiver counts as alive (default 1s)")
	rescan := fs.Duration("rescan", DefaultRescan, "how often --all looks for new endpoints")
	help := func() {
		fmt.Fprintln(stdout, "Usage: postbox bridge --nats URL [--import NAME[=LOCAL]]... [--all] [NAME...]")
		fmt.Fprintln(stdout, "\nExports local endpoints (NAMEs) to NATS and makes remote ones (--import) local.\n\nFlags:")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
	}
	fs.Usage = func() {} // the flag package calls it on every error
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				help()
			}
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		names, args = append(names, args[0]), args[1:]
	}
	if cfg.NATS == "" {
		return nil, errors.New("--nats is required")
	}
	t := &pbnats.Transport{Prefix: *prefix, Liveness: *liveness}
	if *creds != "" {
		t.Options = append(t.Options, gonats.UserCredentials(*creds))
	}
	cfg.Transport, cfg.Export, cfg.Import, cfg.Rescan = t, names, imports, *rescan
	cfg.ExportAll = *all || len(names) == 0 && len(imports) == 0
	return cfg, nil
}
