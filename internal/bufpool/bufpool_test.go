package bufpool

import "testing"

func TestGetPut(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 65, 4096, 1 << 20, 1<<25 + 1} {
		p := Get(n)
		if len(*p) != n {
			t.Fatalf("Get(%d) has length %d", n, len(*p))
		}
		if n > 0 && n <= 1<<maxShift && cap(*p)&(cap(*p)-1) != 0 {
			t.Fatalf("Get(%d) capacity %d is not a power of two", n, cap(*p))
		}
		Put(p)
	}
	Put(nil)
}

func TestReuseAllocFree(t *testing.T) {
	Put(Get(1000))
	allocs := testing.AllocsPerRun(100, func() { Put(Get(1000)) })
	if allocs > 0 {
		t.Fatalf("Get/Put allocates %.1f times", allocs)
	}
}
