//go:build !unix && !windows

package bench

import "time"

// cpuTime is unknown on this OS.
func cpuTime() time.Duration { return 0 }
