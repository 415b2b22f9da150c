// Package cli is the postbox command line. main calls Main (or Run), so
// every command can be tested in-process as well as through a real binary.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/postbox-ipc/postbox"
)

// env is what a command runs with.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	cmd    string // the subcommand's name
	json   bool   // --json: errors go to stdout as a JSON object
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

// Main runs the command line of this process and exits: SIGINT or SIGTERM
// cancels the command (which then finishes what it must), a second one
// ends the process at once.
func Main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		signal.Stop(sigs) // the next one ends the process
		cancel(Signaled(sig))
	}()
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	cancel(nil)
	os.Exit(code)
}

// Run executes the command line args (without the program name) and returns
// the process exit status.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return ExitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return help(e, args[1:])
	case "-version", "--version":
		args = append([]string{"version"}, args[1:]...)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "postbox: unknown command %q\nRun 'postbox help' for the commands.\n", args[0])
		return ExitUsage
	}
	e.cmd = args[0]
	err := cmd.run(e, args[1:])
	if code, ok := interrupted(ctx); ok {
		return code
	}
	report(e, err)
	return exitCode(err)
}

// help prints the command list, or one command's usage.
func help(e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stdout)
		return ExitOK
	}
	if _, ok := commands[args[0]]; !ok {
		fmt.Fprintf(e.stderr, "postbox help: unknown command %q\nRun 'postbox help' for the commands.\n", args[0])
		return ExitUsage
	}
	return Run(e.ctx, []string{args[0], "--help"}, e.stdin, e.stdout, e.stderr)
}

// report tells the user what went wrong, once: a usage error as one line
// and a hint, any other error as one line — or, with --json, as a JSON
// object on standard output.
func report(e *env, err error) {
	var ue usageError
	var es exitStatus
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp), errors.As(err, &es):
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "postbox %s: %s\nRun 'postbox help %s' for usage.\n", e.cmd, ue.msg, e.cmd)
	case e.json:
		code := exitCode(err)
		_ = writeJSON(e.stdout, map[string]any{"error": describe(err), "code": codeNames[code], "exit": code})
	default:
		fmt.Fprintf(e.stderr, "postbox %s: %s\n", e.cmd, describe(err))
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: postbox COMMAND [ARGS] [FLAGS]   (postbox help COMMAND for details)")
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
	if slices.Contains(postbox.Transports(), "nats") {
		fmt.Fprintln(w, "  nats://HOST:PORT/NAME reaches NAME through a NATS server (see bridge and broadcast --nats).")
	}
	fmt.Fprintf(w, "Transports here: %s\n", strings.Join(postbox.Transports(), ", "))
	fmt.Fprintln(w, "\n"+exitHelp)
}

// exitHelp is the table of exit statuses.
const exitHelp = `Exit status: 0 ok, 1 other failure, 2 usage (a bad address too), 3 no such endpoint,
  4 timeout, 5 the handler failed, 6 the endpoint went away, 130 SIGINT, 143 SIGTERM.`

// usageError marks a bad command line.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }
