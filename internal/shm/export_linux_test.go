package shm

import (
	"errors"
	"net"
)

// Hooks for the tests of package shm_test, which play hostile or broken
// peers against real endpoints.

// FailRegions makes every region creation fail until restore is called.
func FailRegions() (restore func()) {
	createRegionFunc = func(layout) ([]byte, int, error) { return nil, -1, errors.New("test: no memory files today") }
	return func() { createRegionFunc = createRegion }
}

// ScribbleHead stores v as the head index of the ring c writes, as a
// hostile peer could, and wakes the reader.
func ScribbleHead(c net.Conn, v uint64) {
	sc := c.(*Conn)
	sc.tx.head.Store(v)
	sc.wake(sc.tx.dataWait, takeWaiter(sc.tx.dataWait))
}
