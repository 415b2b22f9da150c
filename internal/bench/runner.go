package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// Run measures every selected case, size and mode and returns the report.
// A cell that fails is reported with its error and the run goes on; Run
// fails only when it cannot run at all or ctx ends.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	cases, err := selectCases(cfg.Cases)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pbb") // short: socket paths live here
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	r := &runner{cfg: cfg, dir: dir}
	if err := r.start(ctx, cases); err != nil {
		return nil, err
	}
	defer r.stop()
	rep := newReport(cfg)
	cfg.Progress.Begin(countCells(cases, cfg))
	for i, c := range cases {
		rep.Cases = append(rep.Cases, CaseInfo{Name: c.Name, Group: c.Group, Note: c.Note, Local: c.Local})
		p := Params{MaxSize: maxInt(cfg.Sizes), Name: fmt.Sprintf("pbb-%d-%d", os.Getpid(), i), Dir: dir, KeepBuffers: cfg.KeepBuffers}
		rep.Cells = append(rep.Cells, r.runCase(ctx, c, p)...)
		if ctx.Err() != nil {
			break
		}
	}
	cfg.Progress.End()
	rep.analyze()
	return rep, ctx.Err()
}

func newReport(cfg Config) *Report {
	return &Report{Schema: SchemaVersion, Started: time.Now().UTC().Truncate(time.Second), Host: hostInfo(),
		Duration: cfg.Duration, Sizes: cfg.Sizes, Callers: cfg.Callers}
}

func countCells(cases []Case, cfg Config) int {
	n := 0
	for _, c := range cases {
		n += len(c.cells(cfg.Modes, cfg.Callers)) * len(cfg.Sizes)
	}
	return n
}

func maxInt(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// runner holds what one Run shares across cells.
type runner struct {
	cfg   Config
	dir   string
	child *child
	done  int // cells finished, for progress
}

// start launches the child process when some case needs it.
func (r *runner) start(ctx context.Context, cases []Case) error {
	need := false
	for _, c := range cases {
		need = need || !c.Local
	}
	if !need {
		return nil
	}
	if r.cfg.Child == nil {
		return errors.New("bench: Config.Child is needed to start the second process")
	}
	cmd, err := r.cfg.Child(ctx)
	if err != nil {
		return err
	}
	if len(r.cfg.ChildEnv) > 0 {
		cmd.Env = append(cmd.Environ(), r.cfg.ChildEnv...)
	}
	r.child, err = startChild(cmd)
	return err
}

func (r *runner) stop() {
	if r.child != nil {
		_ = r.child.close()
	}
}

// runCase serves c (in the child, or here when Local) and measures each of
// its cells.
func (r *runner) runCase(ctx context.Context, c Case, p Params) []Cell {
	addr, stop, err := r.serve(ctx, c, p)
	var cells []Cell
	for _, size := range r.cfg.Sizes {
		for _, k := range c.cells(r.cfg.Modes, r.cfg.Callers) {
			cell := Cell{Case: c.Name, Group: c.Group, Mode: k.mode, Size: size, Callers: k.callers}
			r.cfg.Progress.Cell(r.done, cell)
			switch {
			case err != nil:
				cell.Err = err.Error()
			case ctx.Err() != nil:
				cell.Err = ctx.Err().Error()
			default:
				r.measureCell(ctx, c, p, addr, &cell)
			}
			r.cfg.Progress.Done(r.done, cell)
			r.done++
			cells = append(cells, cell)
		}
	}
	if stop != nil {
		if serr := stop(); serr != nil && err == nil {
			cells[len(cells)-1].Err = "stopping the server: " + serr.Error()
		}
	}
	return cells
}

// serve starts c's server and returns its address and how to stop it.
func (r *runner) serve(ctx context.Context, c Case, p Params) (string, func() error, error) {
	if c.Needs != nil {
		if err := c.Needs(); err != nil {
			return "", nil, err
		}
	}
	if c.Local {
		s, err := c.Serve(ctx, p)
		if err != nil {
			return "", nil, err
		}
		return s.Addr(), s.Close, nil
	}
	resp, err := r.child.call(childRequest{Op: "serve", Case: c.Name, Params: p})
	if err != nil {
		return "", nil, err
	}
	stop := func() error {
		_, err := r.child.call(childRequest{Op: "stop"})
		return err
	}
	return resp.Addr, stop, nil
}

// cpu is the CPU time both processes have used.
func (r *runner) cpu(c Case) time.Duration {
	t := cpuTime()
	if !c.Local && r.child != nil {
		t += r.child.cpu()
	}
	return t
}
