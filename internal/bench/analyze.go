package bench

import "fmt"

// RawRef is the baseline every cell's VsRaw compares with.
const RawRef = "raw-unix"

// analyze fills in each cell's ratio to the raw baseline and the goals.
func (r *Report) analyze() {
	for i := range r.Cells {
		c := &r.Cells[i]
		if base := r.Find(RawRef, c.Mode, c.Size, c.Callers); base != nil {
			c.VsRaw = speedRatio(c, base)
		}
	}
	r.Goals = r.goals()
}

// speedRatio is how many times faster c is than base (below 1: slower):
// by p50 latency for a single caller, by throughput otherwise.
func speedRatio(c, base *Cell) float64 {
	if c.Err != "" || base.Err != "" {
		return 0
	}
	if c.Mode == ModeSend && c.Callers == 1 {
		if c.Latency == nil || base.Latency == nil || c.Latency.P50 <= 0 {
			return 0
		}
		return float64(base.Latency.P50) / float64(c.Latency.P50)
	}
	if base.OpsPerSec <= 0 {
		return 0
	}
	return c.OpsPerSec / base.OpsPerSec
}

// Goal is one of the project's performance targets, checked against this run.
type Goal struct {
	Name   string  `json:"name"`
	Want   float64 `json:"want"`          // the ratio to reach (at least)
	Got    float64 `json:"got,omitempty"` // the ratio measured
	Status string  `json:"status"`        // "met", "missed" or "not measured"
	Detail string  `json:"detail,omitempty"`
}

// Goal statuses.
const (
	GoalMet         = "met"
	GoalMissed      = "missed"
	GoalNotMeasured = "not measured"
)

// goals checks the targets at the smallest payload measured (64 B by
// default), where the per-message cost shows most.
func (r *Report) goals() []Goal {
	if len(r.Sizes) == 0 {
		return nil
	}
	size := r.Sizes[0]
	for _, s := range r.Sizes {
		size = min(size, s)
	}
	var out []Goal
	for _, peer := range []string{"shmipc", "net-rpc", "grpc"} {
		out = append(out, r.latencyGoal(fmt.Sprintf("unix Send p50 vs %s, %s", peer, goalSize(size)), "unix", peer, size, 2.5))
	}
	out = append(out, r.throughputGoal(size, 8))
	out = append(out, r.latencyGoal(fmt.Sprintf("shm Send p50 vs %s, %s", RawRef, goalSize(size)), "shm", RawRef, size, 15))
	// tcp and nats: at most 1.1× a bare TCP ping-pong, 1.2× a bare nats.go
	// request/reply (postbox-nats is in peerbench, beside nats).
	out = append(out, r.latencyGoal(fmt.Sprintf("tcp Send p50 vs raw-tcp, %s (tcp ≤ 1.1× raw-tcp)", goalSize(size)), "tcp", "raw-tcp", size, 1/1.1))
	out = append(out, r.latencyGoal(fmt.Sprintf("postbox-nats Send p50 vs nats, %s (≤ 1.2× nats.go)", goalSize(size)), "postbox-nats", "nats", size, 1/1.2))
	return append(out, r.dataPathGoals()...)
}

// goalSize names a size in a goal: "64 B" below a KiB, else as --sizes
// writes it ("4K", "16M").
func goalSize(n int) string {
	if n < 1<<10 {
		return fmt.Sprintf("%d B", n)
	}
	return FormatSize(n)
}

// latencyGoal: fast's p50 must be want times below slow's.
func (r *Report) latencyGoal(name, fast, slow string, size int, want float64) Goal {
	g := Goal{Name: name, Want: want}
	f, s := r.Find(fast, ModeSend, size, 1), r.Find(slow, ModeSend, size, 1)
	if !measured(f) || !measured(s) {
		g.Status = GoalNotMeasured
		g.Detail = fmt.Sprintf("needs %q and %q in the same run", fast, slow)
		return g
	}
	g.Got = float64(s.Latency.P50) / float64(f.Latency.P50)
	g.Detail = fmt.Sprintf("%s p50 %s, %s p50 %s", fast, FormatDur(f.Latency.P50), slow, FormatDur(s.Latency.P50))
	g.Status = verdict(g.Got, want)
	return g
}

// throughputGoal: unix with n callers must reach 0.9 of raw-unix's rate.
func (r *Report) throughputGoal(size, n int) Goal {
	g := Goal{Name: fmt.Sprintf("unix Send throughput vs %s, %d callers, %s", RawRef, n, goalSize(size)), Want: 0.9}
	f, s := r.Find("unix", ModeSend, size, n), r.Find(RawRef, ModeSend, size, n)
	if !measured(f) || !measured(s) || s.OpsPerSec <= 0 {
		g.Status = GoalNotMeasured
		g.Detail = fmt.Sprintf("needs unix and %s with %d callers", RawRef, n)
		return g
	}
	g.Got = f.OpsPerSec / s.OpsPerSec
	g.Detail = fmt.Sprintf("unix %s/s, %s %s/s", FormatCount(f.OpsPerSec), RawRef, FormatCount(s.OpsPerSec))
	g.Status = verdict(g.Got, g.Want)
	return g
}

func measured(c *Cell) bool {
	return c != nil && c.Err == "" && c.Ops > 0 && (c.Mode != ModeSend || c.Latency != nil)
}

func verdict(got, want float64) string {
	if got >= want {
		return GoalMet
	}
	return GoalMissed
}
