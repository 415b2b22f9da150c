package bench

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"time"
)

// Defaults for Config.
var (
	DefaultSizes    = []int{64, 4 << 10, 64 << 10, 1 << 20}
	DefaultCallers  = []int{1, 8}
	DefaultDuration = time.Second
	// SweepSizes are the sizes of "bench -sweep": 64 B to 16 MiB, enough
	// points for a latency-versus-size line, and every size a goal names
	// (4K, 64K), so one sweep shows the whole goals table.
	SweepSizes = []int{64, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20}
)

// Config says what Run measures. The zero value measures every case with
// the defaults, but Child must be set when any case needs a second process.
type Config struct {
	// Cases names the cases to measure; empty means all of Cases().
	Cases []string
	// Sizes are the payload sizes in bytes; empty means DefaultSizes.
	Sizes []int
	// Callers are the numbers of concurrent callers for round trips;
	// empty means DefaultCallers.
	Callers []int
	// Modes are the kinds of cell to measure (ModeSend, ModePost); empty
	// means both.
	Modes []Mode
	// Duration is how long each cell is measured; zero means
	// DefaultDuration.
	Duration time.Duration
	// Warmup runs before each cell, unmeasured; zero means a tenth of
	// Duration (at least 10ms).
	Warmup time.Duration
	// Child starts the second process, which must call ServeChild (see
	// ChildCommand). Its context is Run's.
	Child func(ctx context.Context) (*exec.Cmd, error)
	// ChildEnv is added to the child's environment.
	ChildEnv []string
	// Progress is told about each cell; nil tells nobody.
	Progress Progress
	// KeepBuffers runs Postbox with its default buffers (each handler
	// keeps its Data, callers keep their replies) instead of lending Data
	// with ReuseBuffers and releasing replies.
	KeepBuffers bool
}

// withDefaults fills in zero fields and validates the rest.
func (c Config) withDefaults() (Config, error) {
	if len(c.Sizes) == 0 {
		c.Sizes = DefaultSizes
	}
	if len(c.Callers) == 0 {
		c.Callers = DefaultCallers
	}
	if c.Duration <= 0 {
		c.Duration = DefaultDuration
	}
	if c.Warmup <= 0 {
		c.Warmup = max(c.Duration/10, 10*time.Millisecond)
	}
	if c.Progress == nil {
		c.Progress = nopProgress{}
	}
	for _, s := range c.Sizes {
		if s < 0 || s > 1<<30 {
			return c, fmt.Errorf("bench: payload size %d out of range", s)
		}
	}
	for _, n := range c.Callers {
		if n < 1 || n > 1024 {
			return c, fmt.Errorf("bench: %d callers out of range", n)
		}
	}
	return c, nil
}

// selectCases returns the named cases, in Cases() order; every name must
// exist.
func selectCases(names []string) ([]Case, error) {
	all := Cases()
	if len(names) == 0 {
		return slices.DeleteFunc(all, func(c Case) bool { return !available(c) }), nil
	}
	var out []Case
	for _, n := range names {
		if !slices.ContainsFunc(all, func(c Case) bool { return c.Name == n }) {
			return nil, fmt.Errorf("bench: unknown case %q (have %s)", n, caseNames(all))
		}
	}
	for _, c := range all {
		if slices.Contains(names, c.Name) {
			out = append(out, c)
		}
	}
	return out, nil
}

// available reports whether c can run here without being asked for.
func available(c Case) bool { return c.Needs == nil || c.Needs() == nil }

func caseNames(cs []Case) string {
	s := ""
	for i, c := range cs {
		if i > 0 {
			s += ", "
		}
		s += c.Name
	}
	return s
}
