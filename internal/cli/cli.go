// Package cli is the postbox command line. main calls Run, so every command
// can be tested in-process as well as through a real binary.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/postbox-ipc/postbox"
)

// Exit statuses.
const (
	ExitOK         = 0
	ExitFailure    = 1 // anything not listed below
	ExitUsage      = 2
	ExitNoEndpoint = 3
	ExitTimeout    = 4
	ExitRemote     = 5 // the handler failed
)

// env is what a command runs with.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	run     func(e *env, args []string) error
	summary string
}

// commands is the table of subcommands. Other files add theirs in init.
var commands = map[string]command{}

func register(name, summary string, run func(e *env, args []string) error) {
	commands[name] = command{run: run, summary: summary}
}

// Run executes the command line args (without the program name) and returns
// the process exit status.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "postbox: unknown command %q\n", args[0])
		usage(stderr)
		return ExitUsage
	}
	err := cmd.run(e, args[1:])
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stderr, "postbox %s: %v\n", args[0], err)
	}
	return exitCode(err)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: postbox COMMAND [ARGS] [FLAGS]   (postbox COMMAND --help for details)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\n"+addrHelp)
	fmt.Fprintf(w, "Transports here: %s\n", strings.Join(postbox.Transports(), ", "))
}

// usageError marks a bad command line.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

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
	case errors.As(err, &ue):
		return ExitUsage
	case errors.Is(err, postbox.ErrNoEndpoint):
		return ExitNoEndpoint
	case errors.As(err, &re):
		return ExitRemote
	case errors.Is(err, postbox.ErrTimeout):
		return ExitTimeout
	}
	return ExitFailure
}
