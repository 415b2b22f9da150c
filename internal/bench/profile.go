package bench

import (
	"os"
	"runtime/pprof"
)

// childProfileEnv names the file the child writes its CPU profile to.
const childProfileEnv = "POSTBOX_BENCH_CHILD_CPUPROFILE"

// startProfile starts a CPU profile into file and returns its stop
// function; an empty file profiles nothing.
func startProfile(file string) (stop func(), err error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
