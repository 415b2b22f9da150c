//go:build !amd64

package shm

// currentCPU returns the number of the CPU this thread runs on (a hint:
// the thread may move at any time).
func currentCPU() uint32 { return getcpu() }
