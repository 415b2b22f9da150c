package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/postbox-ipc/postbox/internal/flaghelp"
)

// ErrUsage marks a bad command line.
var ErrUsage = errors.New("usage")

// Command is the "bench" command line, shared by "postbox bench" and the
// peers module's program so both take the same flags.
type Command struct {
	// Prog is how usage names the command: "postbox bench".
	Prog string
	// ChildArgs re-execute this program as the child: it must see
	// --child among them, e.g. {"bench", "--child"}.
	ChildArgs []string
	// Child overrides how the child is started (tests); nil re-executes
	// os.Executable with ChildArgs.
	Child func(ctx context.Context) (*exec.Cmd, error)
}

// flags is the parsed command line.
type flags struct {
	transports, baselines, sizes, callers   string
	modes                                   string
	duration, warmup                        time.Duration
	quick, sweep, list, child, keepBuffers  bool
	jsonFile, chartFile, mdFile, cpuProfile string
}

func (c *Command) flagSet(w io.Writer, f *flags) *flag.FlagSet {
	fs := flag.NewFlagSet(c.Prog, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // Run reports a bad flag, once
	fs.StringVar(&f.transports, "transports", "", "cases to measure, comma-separated (default: every Postbox transport"+
		" and peer; see --list)")
	fs.StringVar(&f.baselines, "baselines", "", `baselines to measure beside them (default: all; "none" for none)`)
	fs.StringVar(&f.sizes, "sizes", "64,4K,64K,1M", "payload sizes")
	fs.StringVar(&f.callers, "callers", "1,8", "concurrent callers for Send, comma-separated")
	fs.StringVar(&f.modes, "modes", "", `cells to measure: "send" (round trips), "post" (one way), or both, comma-separated (default: both)`)
	fs.DurationVar(&f.duration, "duration", DefaultDuration, "measuring time per cell")
	fs.DurationVar(&f.warmup, "warmup", 0, "unmeasured warm-up per cell (default: a tenth of --duration)")
	fs.BoolVar(&f.quick, "quick", false, "a fast rough run: sizes 64,4K, 100ms per cell (flags given still win)")
	fs.BoolVar(&f.sweep, "sweep", false, "a payload-size sweep: sizes "+formatSizes(SweepSizes)+
		" (--sizes still wins); --chart then draws latency against size")
	fs.BoolVar(&f.keepBuffers, "keep-buffers", false, "run Postbox with its default buffers: the handler keeps each message's Data and\n"+
		"callers keep their replies (by default the bench lends Data with ReuseBuffers and releases replies)")
	fs.BoolVar(&f.list, "list", false, "list the cases and exit")
	fs.StringVar(&f.jsonFile, "json", "", `write the report as JSON to this file ("-" for standard output)`)
	fs.StringVar(&f.chartFile, "chart", "", "draw the chart to this SVG file")
	fs.StringVar(&f.mdFile, "markdown", "", "write the tables as Markdown to this file")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write CPU profiles of the measuring process to this file, and of the child to FILE.child")
	fs.BoolVar(&f.child, "child", false, "serve as the benchmark's second process (started by bench itself)")
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: %s [flags]\n\nMeasures every transport, raw baselines and peers between two processes.\n\nFlags:\n", c.Prog)
		flaghelp.PrintDefaults(w, fs, "child")
	}
	return fs
}

// Run runs the command line args (the flags after "bench").
func (c *Command) Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f flags
	fs := c.flagSet(stdout, &f)
	help := fs.Usage
	fs.Usage = func() {} // the flag package calls it on every error
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			help()
			return err
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	switch {
	case f.child:
		return serveChildStdio(ctx)
	case f.list:
		return listCases(stdout)
	}
	cfg, err := c.config(fs, &f)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	cfg.Progress = NewProgress(stderr, IsTerminal(stderr))
	stop, err := startProfile(f.cpuProfile)
	if err != nil {
		return err
	}
	if f.cpuProfile != "" {
		cfg.ChildEnv = append(cfg.ChildEnv, childProfileEnv+"="+f.cpuProfile+".child")
	}
	rep, err := Run(ctx, cfg)
	stop()
	if rep == nil {
		return err
	}
	return errors.Join(err, c.output(rep, &f, stdout))
}

// config turns the flags into a Config.
func (c *Command) config(fs *flag.FlagSet, f *flags) (Config, error) {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if f.quick {
		if !set["sizes"] {
			f.sizes = "64,4K"
		}
		if !set["duration"] {
			f.duration = 100 * time.Millisecond
		}
	}
	if f.sweep && !set["sizes"] {
		f.sizes = formatSizes(SweepSizes)
	}
	cfg := Config{Duration: f.duration, Warmup: f.warmup, Child: c.Child, KeepBuffers: f.keepBuffers}
	if cfg.Child == nil {
		cfg.Child = ChildCommand(c.ChildArgs...)
	}
	var err error
	if cfg.Sizes, err = ParseSizes(f.sizes); err != nil {
		return cfg, err
	}
	if cfg.Callers, err = parseInts(f.callers); err != nil {
		return cfg, err
	}
	if cfg.Modes, err = ParseModes(f.modes); err != nil {
		return cfg, err
	}
	cfg.Cases, err = chooseCases(f.transports, f.baselines)
	return cfg, err
}

// chooseCases picks the cases from the two lists; empty lists mean all.
func chooseCases(transports, baselines string) ([]string, error) {
	var out []string
	for _, c := range Cases() {
		list := transports
		if c.Group == GroupBaseline {
			list = baselines
		}
		if list == "" && available(c) || inList(list, c.Name) {
			out = append(out, c.Name)
		}
	}
	for _, n := range append(splitList(transports), splitList(baselines)...) {
		if _, err := lookupCase(n); err != nil && n != "none" {
			return nil, fmt.Errorf("unknown case %q (see --list)", n)
		}
	}
	return out, nil
}

// formatSizes writes sizes the way ParseSizes reads them: "64,1K,16M".
func formatSizes(sizes []int) string {
	var out []string
	for _, n := range sizes {
		out = append(out, strings.TrimSuffix(FormatSize(n), "B"))
	}
	return strings.Join(out, ",")
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func inList(list, name string) bool {
	for _, f := range splitList(list) {
		if f == name {
			return true
		}
	}
	return false
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad count %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func listCases(w io.Writer) error {
	for _, c := range Cases() {
		fmt.Fprintf(w, "%-10s %-8s %s\n", c.Name, c.Group, c.Note)
		if c.Needs != nil {
			if err := c.Needs(); err != nil {
				fmt.Fprintf(w, "%-10s %-8s (left out unless named: %v)\n", "", "", err)
			}
		}
	}
	return nil
}

// output writes the tables, and the JSON, chart and Markdown files asked for.
func (c *Command) output(rep *Report, f *flags, stdout io.Writer) error {
	var errs []error
	if f.jsonFile != "-" {
		errs = append(errs, rep.WriteText(stdout))
	}
	write := func(name string, fn func(io.Writer) error) {
		if name == "" {
			return
		}
		if name == "-" {
			errs = append(errs, fn(stdout))
			return
		}
		file, err := os.Create(name)
		if err != nil {
			errs = append(errs, err)
			return
		}
		errs = append(errs, fn(file), file.Close())
	}
	write(f.jsonFile, rep.WriteJSON)
	write(f.chartFile, rep.WriteChart)
	write(f.mdFile, func(w io.Writer) error { return rep.WriteMarkdown(w, 3) })
	return errors.Join(errs...)
}

// serveChildStdio serves the child protocol on the process's own standard
// input and output (see ChildStdio).
func serveChildStdio(ctx context.Context) error {
	in, out, err := ChildStdio()
	if err != nil {
		return err
	}
	stop, err := startProfile(os.Getenv(childProfileEnv))
	if err != nil {
		return err
	}
	defer stop()
	return ServeChild(ctx, in, out)
}
