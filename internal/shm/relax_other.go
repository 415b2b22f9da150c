//go:build !amd64 && !arm64

package shm

// cpuRelax is a no-op where no spin-wait hint is wired up.
func cpuRelax() {}
