package cli

import (
	"errors"
	"strings"

	"github.com/postbox-ipc/postbox/internal/bench"
)

func init() {
	register("bench", "measure every transport against raw baselines, with a chart", runBench)
}

// benchCommand is the shared bench command line; the child it starts is
// this program again, as "postbox bench --child".
var benchCommand = &bench.Command{Prog: "postbox bench", ChildArgs: []string{"bench", "--child"}}

func runBench(e *env, args []string) error {
	err := benchCommand.Run(e.ctx, args, e.stdin, e.stdout, e.stderr)
	if errors.Is(err, bench.ErrUsage) {
		return usagef("%s", strings.TrimPrefix(err.Error(), bench.ErrUsage.Error()+": "))
	}
	return err
}
