package shm

import (
	"runtime"
	"testing"
)

func TestCurrentCPU(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	got, want := currentCPU(), getcpu()
	if got != want {
		t.Fatalf("currentCPU() = %d, the kernel says %d", got, want)
	}
	if got >= uint32(runtime.NumCPU()) && runtime.GOOS == "linux" {
		t.Logf("CPU %d with NumCPU %d (affinity restricts the count, not the numbers)", got, runtime.NumCPU())
	}
}

func BenchmarkCurrentCPU(b *testing.B) {
	for range b.N {
		currentCPU()
	}
}
