package shm

import (
	"encoding/binary"
	"math/bits"
	"sync/atomic"
)

// Region layout; see the package documentation.
const (
	magic        = "PBXSHM2\x00"
	controlSize  = pageSize + ringCount*retSize // the control page, then the arenas' return rings
	ctrlOffset0  = 1024                         // ring 0's control block
	ctrlSize     = 512
	lineSize     = 128 // one word per line: no false sharing, even with adjacent-line prefetch
	offHead      = 0 * lineSize
	offTail      = 1 * lineSize
	offDataWait  = 2 * lineSize
	offRoomWait  = 3 * lineSize
	offSize0     = 8
	offSize1     = 16
	offArena0    = 24  // size of arena 0 (client → endpoint), 0 for none
	offArena1    = 32  // size of arena 1
	offCPU0      = 256 // the endpoint's CPU hint
	offCPU1      = 384 // the client's CPU hint
	ringCount    = 2
	toEndpoint   = 0 // ring 0 carries client → endpoint
	toClient     = 1 // ring 1 carries endpoint → client
	headerFields = 40
)

// Ring size limits.
const (
	MinRingSize     = 4 << 10
	MaxRingSize     = 1 << 30
	DefaultRingSize = 4 << 20
)

// layout is the geometry of a region, from trusted local values only.
type layout struct {
	sizes  [ringCount]uint64
	arenas [ringCount]uint64 // arena i carries payloads in ring i's direction; 0 for none
}

// RingSize returns the ring size used for a requested size n: the default
// for n ≤ 0, otherwise n rounded up to a power of two within the limits.
func RingSize(n int) uint64 {
	if n <= 0 {
		return DefaultRingSize
	}
	v := uint64(n)
	v = min(max(v, MinRingSize), MaxRingSize)
	if v&(v-1) != 0 {
		v = 1 << bits.Len64(v)
	}
	return v
}

// total is the region's size in bytes.
func (l layout) total() uint64 {
	return controlSize + l.sizes[0] + l.sizes[1] + l.arenas[0] + l.arenas[1]
}

// arenaOffset is where arena i starts: after both rings.
func (l layout) arenaOffset(i int) uint64 {
	off := controlSize + l.sizes[0] + l.sizes[1]
	if i == 1 {
		off += l.arenas[0]
	}
	return off
}

// dataOffset is where ring i's data starts.
func (l layout) dataOffset(i int) uint64 {
	if i == 0 {
		return controlSize
	}
	return controlSize + l.sizes[0]
}

// cpuWord is the CPU hint word of the endpoint or the client side.
func cpuWord(mem []byte, endpoint bool) *atomic.Uint32 {
	if endpoint {
		return word32(mem, offCPU0)
	}
	return word32(mem, offCPU1)
}

// ctrlOffset is where ring i's control block starts.
func ctrlOffset(i int) uint64 { return ctrlOffset0 + uint64(i)*ctrlSize }

// putHeader writes the region's description; the creator calls it once.
func (l layout) putHeader(mem []byte) {
	copy(mem, magic)
	binary.LittleEndian.PutUint64(mem[offSize0:], l.sizes[0])
	binary.LittleEndian.PutUint64(mem[offSize1:], l.sizes[1])
	binary.LittleEndian.PutUint64(mem[offArena0:], l.arenas[0])
	binary.LittleEndian.PutUint64(mem[offArena1:], l.arenas[1])
}

// readLayout reads a region's description once and checks it against the
// size of the file that holds it. Everything it returns is a local copy.
func readLayout(hdr []byte, fileSize uint64) (layout, error) {
	if len(hdr) < headerFields {
		return layout{}, corrupt("region of %d bytes has no header", len(hdr))
	}
	var h [headerFields]byte
	copy(h[:], hdr) // read once: the peer may be changing it
	if string(h[:8]) != magic {
		return layout{}, corrupt("bad magic %q", h[:8])
	}
	l := layout{sizes: [ringCount]uint64{
		binary.LittleEndian.Uint64(h[offSize0:]),
		binary.LittleEndian.Uint64(h[offSize1:]),
	}, arenas: [ringCount]uint64{
		binary.LittleEndian.Uint64(h[offArena0:]),
		binary.LittleEndian.Uint64(h[offArena1:]),
	}}
	for i, s := range l.sizes {
		if s < MinRingSize || s > MaxRingSize || s&(s-1) != 0 {
			return layout{}, corrupt("ring %d size %d is not a power of two in [%d, %d]", i, s, MinRingSize, MaxRingSize)
		}
	}
	for i, s := range l.arenas {
		if s > MaxArenaSize || s%pageSize != 0 {
			return layout{}, corrupt("arena %d size %d is not a multiple of %d up to %d", i, s, pageSize, MaxArenaSize)
		}
	}
	if l.total() != fileSize {
		return layout{}, corrupt("rings of %d and %d bytes and arenas of %d and %d need a %d-byte region, the file has %d",
			l.sizes[0], l.sizes[1], l.arenas[0], l.arenas[1], l.total(), fileSize)
	}
	return l, nil
}
