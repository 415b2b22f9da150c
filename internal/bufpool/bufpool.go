// Package bufpool recycles byte slices in power-of-two size classes, so the
// receive path of a transport allocates nothing in the steady state.
package bufpool

import (
	"math/bits"
	"sync"
)

const (
	minShift = 6  // 64 B
	maxShift = 25 // 32 MiB; larger buffers are not pooled
)

var pools [maxShift - minShift + 1]sync.Pool

func class(n int) int {
	if n <= 1<<minShift {
		return 0
	}
	return bits.Len(uint(n-1)) - minShift
}

// Get returns a buffer whose slice has length n; its contents are undefined.
// Return it with Put once nothing refers to it any more.
func Get(n int) *[]byte {
	c := class(n)
	if c >= len(pools) {
		b := make([]byte, n)
		return &b
	}
	if p, ok := pools[c].Get().(*[]byte); ok {
		*p = (*p)[:n]
		return p
	}
	b := make([]byte, n, 1<<(c+minShift))
	return &b
}

// Put recycles p, which must have come from Get. Put(nil) is a no-op.
func Put(p *[]byte) {
	if p == nil {
		return
	}
	c := cap(*p)
	if c&(c-1) != 0 || c < 1<<minShift || c > 1<<maxShift {
		return
	}
	pools[class(c)].Put(p)
}
