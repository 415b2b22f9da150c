//go:build amd64 || arm64

package shm

// cpuRelax tells the CPU it is in a spin-wait loop (PAUSE, YIELD).
func cpuRelax()
