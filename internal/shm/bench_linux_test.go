package shm

import (
	"io"
	"testing"
)

// BenchmarkConnPingPong is a 64-byte round trip through a Conn pair between
// two processes: the rings and the waiting, without the session protocol.
func BenchmarkConnPingPong(b *testing.B) {
	c, _ := crossPair(b, "echo64", DefaultRingSize)
	buf := make([]byte, 64)
	b.ResetTimer()
	for range b.N {
		c.Write(buf)
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
}
