package shm_test

import (
	"fmt"
	"os"
	"runtime/pprof"
	"time"
)

// Helper processes: the test binary re-run with envHelper naming a role
// from helpers. Each prints "ready" (and perhaps more words) on stdout once
// set up, then works until killed.
const (
	envHelper  = "POSTBOX_SHM_HELPER"
	envArg     = "POSTBOX_SHM_HELPER_ARG"
	envProfile = "POSTBOX_SHM_HELPER_CPUPROFILE" // write the helper's CPU profile of its first 5s here
)

// profile starts a CPU profile into path and returns its stop function.
func profile(path string) func() {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return func() {}
	}
	pprof.StartCPUProfile(f)
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// helpers maps a role to its main function; platform files add theirs.
var helpers = map[string]func(arg string) error{}

// runChild runs the test binary as a helper when the environment asks for
// one, and reports whether it did.
func runChild() bool {
	role := os.Getenv(envHelper)
	if role == "" {
		return false
	}
	run, ok := helpers[role]
	if !ok {
		fmt.Fprintln(os.Stderr, "no helper", role)
		os.Exit(2)
	}
	if path := os.Getenv(envProfile); path != "" {
		stop := profile(path)
		go func() { // helpers run until killed: profile for a while, then save
			time.Sleep(5 * time.Second)
			stop()
		}()
	}
	if err := run(os.Getenv(envArg)); err != nil {
		fmt.Fprintln(os.Stderr, "helper", role+":", err)
		os.Exit(1)
	}
	os.Exit(0)
	return true
}
