package bench

import "fmt"

// The data path at scale: large payloads, many callers on one Conn, and
// shared memory against a bare socket and the hardware's floor. Each goal
// is checked at the size it names and is "not measured" when the run
// lacks a cell it needs (postbox bench -sizes 64,4K,64K,1M -callers 1,8
// -transports unix,shm -baselines raw-unix,spin measures them all).
func (r *Report) dataPathGoals() []Goal {
	const k, m = 1 << 10, 1 << 20
	return []Goal{
		r.sendGoal("unix", RawRef, 64*k, 1, 0.9),
		r.sendGoal("unix", RawRef, m, 1, 0.9),
		r.sendGoal("unix", RawRef, 4*k, 8, 0.9),
		r.postGoal("unix", RawRef, 64*k, 0.9),
		r.postGoal("unix", RawRef, m, 0.9),
		r.sendGoal("shm", RawRef, m, 1, 5),
		r.postGoal("shm", RawRef, 4*k, 3),
		r.postGoal("shm", "unix", 64, 1),
		r.sendGoal("shm", "spin", 64, 1, 1/1.5),
		r.postRateGoal("unix", 64, 5e6),
		r.zeroCopyGoal(m, 3),
	}
}

// zeroCopyGoal: a size-byte Send through a borrowed buffer (shm-zc) may
// take at most times the p50 of a 64 B shm Send; Got is the speed ratio,
// to reach 1/times.
func (r *Report) zeroCopyGoal(size int, times float64) Goal {
	g := Goal{Name: fmt.Sprintf("%s Send p50, %s through a zero-copy buffer, vs shm Send 64 B (≤ %g×)", zeroCopyName, FormatSize(size), times), Want: 1 / times}
	f, s := r.Find(zeroCopyName, ModeSend, size, 1), r.Find("shm", ModeSend, 64, 1)
	if !measured(f) || !measured(s) {
		g.Status = GoalNotMeasured
		g.Detail = fmt.Sprintf("needs %q Send at %s and \"shm\" Send at 64 B in the same run", zeroCopyName, FormatSize(size))
		return g
	}
	g.Got = speedRatio(f, s)
	g.Detail = fmt.Sprintf("%s p50 %s, shm 64 B p50 %s", zeroCopyName, FormatDur(f.Latency.P50), FormatDur(s.Latency.P50))
	g.Status = verdict(g.Got, g.Want)
	return g
}

// sendGoal: fast's Send must reach want times slow's speed: by p50 with
// one caller, by round trips per second with more.
func (r *Report) sendGoal(fast, slow string, size, callers int, want float64) Goal {
	name := fmt.Sprintf("%s Send p50 vs %s, %s", fast, slow, FormatSize(size))
	if callers > 1 {
		name = fmt.Sprintf("%s Send throughput vs %s, %d callers, %s", fast, slow, callers, FormatSize(size))
	}
	return r.ratioGoal(name, fast, slow, ModeSend, size, callers, want)
}

// postGoal: fast's Post must carry want times slow's messages per second.
func (r *Report) postGoal(fast, slow string, size int, want float64) Goal {
	name := fmt.Sprintf("%s Post throughput vs %s, %s", fast, slow, FormatSize(size))
	return r.ratioGoal(name, fast, slow, ModePost, size, 1, want)
}

func (r *Report) ratioGoal(name, fast, slow string, m Mode, size, callers int, want float64) Goal {
	g := Goal{Name: name, Want: want}
	f, s := r.Find(fast, m, size, callers), r.Find(slow, m, size, callers)
	if !measured(f) || !measured(s) {
		g.Status = GoalNotMeasured
		g.Detail = fmt.Sprintf("needs %q and %q at %s, %d caller(s), in the same run", fast, slow, FormatSize(size), callers)
		return g
	}
	g.Got = speedRatio(f, s)
	if m == ModeSend && callers == 1 {
		g.Detail = fmt.Sprintf("%s p50 %s, %s p50 %s", fast, FormatDur(f.Latency.P50), slow, FormatDur(s.Latency.P50))
	} else {
		g.Detail = fmt.Sprintf("%s %s/s, %s %s/s", fast, FormatCount(f.OpsPerSec), slow, FormatCount(s.OpsPerSec))
	}
	g.Status = verdict(g.Got, want)
	return g
}

// postRateGoal: c's Posts must reach rate messages per second; Got is the
// fraction of it reached.
func (r *Report) postRateGoal(c string, size int, rate float64) Goal {
	g := Goal{Name: fmt.Sprintf("%s Post, %s: %s msgs/s (× that rate)", c, FormatSize(size), FormatCount(rate)), Want: 1}
	f := r.Find(c, ModePost, size, 1)
	if !measured(f) {
		g.Status = GoalNotMeasured
		g.Detail = fmt.Sprintf("needs %q Post at %s", c, FormatSize(size))
		return g
	}
	g.Got = f.OpsPerSec / rate
	g.Detail = fmt.Sprintf("%s %s msgs/s", c, FormatCount(f.OpsPerSec))
	g.Status = verdict(g.Got, g.Want)
	return g
}
