package stats

import "time"

// epoch anchors Now: monotonic time since the process started.
var epoch = time.Now()

// Now reads the monotonic clock, once: half the cost of time.Now plus
// time.Since. Pairs of readings give durations; Time turns one into a wall
// time.
func Now() time.Duration { return time.Since(epoch) }

// Time returns the wall time of a reading of Now.
func Time(d time.Duration) time.Time { return epoch.Add(d) }
