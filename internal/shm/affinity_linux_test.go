package shm

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestStepAside: the thread leaves its CPU and keeps its affinity mask.
func TestStepAside(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var before unix.CPUSet
	if err := unix.SchedGetaffinity(0, &before); err != nil {
		t.Fatal(err)
	}
	cpu := getcpu()
	if before.Count() < 2 {
		if stepAside(cpu) {
			t.Fatal("stepped aside with only one CPU allowed")
		}
		t.Skip("this thread may run on one CPU only: nowhere to step aside to")
	}
	if !stepAside(cpu) {
		t.Fatal("did not step aside although other CPUs are allowed")
	}
	if now := getcpu(); now == cpu {
		// Possible but rare: the scheduler may move the thread back as
		// soon as its mask allows.
		t.Logf("back on CPU %d right after stepping aside", cpu)
	}
	var after unix.CPUSet
	if err := unix.SchedGetaffinity(0, &after); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("affinity mask changed: %v → %v", before, after)
	}
}
