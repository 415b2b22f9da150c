package shm

// On x86-64 Linux the kernel keeps the CPU number in IA32_TSC_AUX (low 12
// bits; the NUMA node above), which RDPID or RDTSCP read in a few cycles.

func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
func rdpid() uint64
func rdtscpAux() uint32

const (
	viaSyscall = iota
	viaRDPID
	viaRDTSCP
)

var cpuVia = detectCPUVia()

func detectCPUVia() int {
	if max, _, _, _ := cpuid(0, 0); max >= 7 {
		if _, _, ecx, _ := cpuid(7, 0); ecx&(1<<22) != 0 {
			return viaRDPID
		}
	}
	if max, _, _, _ := cpuid(0x80000000, 0); max >= 0x80000001 {
		if _, _, _, edx := cpuid(0x80000001, 0); edx&(1<<27) != 0 {
			return viaRDTSCP
		}
	}
	return viaSyscall
}

// currentCPU returns the number of the CPU this thread runs on (a hint:
// the thread may move at any time).
func currentCPU() uint32 {
	switch cpuVia {
	case viaRDPID:
		return uint32(rdpid()) & 0xfff
	case viaRDTSCP:
		return rdtscpAux() & 0xfff
	}
	return getcpu()
}
