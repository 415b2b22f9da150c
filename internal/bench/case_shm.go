package bench

// Shared-memory baselines: two processes map the same file and hand a
// payload back and forth through it, waking each other by spinning on a
// counter ("spin") or with futex wait/wake and no spinning ("futex"). They
// are the floor for a shared-memory transport: what the hardware and the
// kernel cost, with no protocol at all.

// shm region layout: counters on their own cache lines, then two payload
// areas (request, reply).
const (
	shmReq   = 0   // uint32: request number, bumped by the client
	shmResp  = 64  // uint32: number of the last request answered
	shmLen   = 128 // uint32: request length
	shmStop  = 192 // uint32: non-zero when the server must stop
	shmData  = 4096
	shmAlign = 4096
)

// shmSize is the region size for payloads up to max bytes.
func shmSize(n int) int {
	area := (n + shmAlign - 1) / shmAlign * shmAlign
	return shmData + 2*max(area, shmAlign)
}

func shmCases() []Case {
	return []Case{
		shmCase("spin", false, "two processes, one shared mapping, busy-wait on a counter: the hardware's floor"),
		shmCase("futex", true, "two processes, one shared mapping, futex wait/wake, no spinning: the kernel's wake-up cost"),
	}
}
