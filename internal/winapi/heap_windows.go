package winapi

// escapeSink makes whatever Heap returns escape to the heap; b is never
// set, so nothing is ever stored.
var escapeSink struct {
	b bool
	x any
}

// Heap returns a pointer to a new zero T that lives on the heap.
//
// Memory a system call writes must not be on a goroutine's stack when the
// call can run Go code on that goroutine meanwhile — GetMessage and
// SendMessage dispatching to a window procedure, EnumWindows calling its
// callback — because that Go code may grow the stack and move it: the
// system would then write to the old stack. Escape analysis keeps
// pointers passed to system calls on the stack, so such memory comes from
// here.
func Heap[T any]() *T {
	p := new(T)
	if escapeSink.b {
		escapeSink.x = p
	}
	return p
}
