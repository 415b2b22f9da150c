package shm

import (
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzArena drives both ends of one arena with a series of operations a
// hostile peer might mix into honest ones: descriptors of any range,
// returns of any offset, and raw writes to the return ring. Neither end
// may panic, hand out memory outside the arena or overlapping memory, or
// fail with anything but ErrRingCorrupt.
func FuzzArena(f *testing.F) {
	op := func(kind byte, a, b uint64) []byte {
		r := []byte{kind}
		r = binary.LittleEndian.AppendUint64(r, a)
		return binary.LittleEndian.AppendUint64(r, b)
	}
	f.Add(append(op(3, 5000, 0), op(0, 0, 5000)...))
	f.Add(append(append(op(3, 100, 0), op(0, 0, 100)...), op(1, 0, 0)...))
	f.Add(append(op(2, 1, 12345), op(3, 10, 0)...))
	f.Add(append(op(0, 4096*4-1, 2), op(4, 4096, 0)...))
	f.Fuzz(func(t *testing.T, ops []byte) {
		const size = 8 * pageSize
		mem := make([]byte, controlSize+size)
		data := mem[controlSize:]
		ret := newRetRing(mem, 0)
		l := lender{data: data, ret: ret}
		b := borrower{data: data, ret: ret}
		for ; len(ops) >= 17; ops = ops[17:] {
			x, y := binary.LittleEndian.Uint64(ops[1:]), binary.LittleEndian.Uint64(ops[9:])
			var err error
			switch ops[0] % 5 {
			case 0:
				var p []byte
				if p, err = b.resolve(x, y); err == nil {
					checkWithin(t, data, p)
				}
			case 1:
				_, err = b.giveBack(x)
			case 2:
				ret.head.Store(x)
				ret.slots[y%retSlots].Store(y)
			case 3:
				if p := l.borrow(int(x % (2 * size))); p != nil {
					checkWithin(t, data, p)
					_, _, err = l.share(p)
				}
			case 4:
				if ok, gone := l.unborrow(data[x%size:][:1]); ok && gone != (span{}) {
					t.Fatal("pages let go of before close")
				}
			}
			if err != nil && !errors.Is(err, ErrRingCorrupt) {
				t.Fatalf("untyped error %v", err)
			}
			checkDisjoint(t, l.out, size)
		}
	})
}

func checkWithin(t *testing.T, data, p []byte) {
	t.Helper()
	if len(p) == 0 {
		t.Fatal("empty buffer")
	}
	l := lender{data: data}
	if off, ok := l.offsetIn(p); !ok || off+uint64(len(p)) > uint64(len(data)) {
		t.Fatalf("buffer [%d, +%d) outside the arena", off, len(p))
	}
}

func checkDisjoint(t *testing.T, out []extent, size uint64) {
	t.Helper()
	var at uint64
	for _, e := range out {
		if e.off < at || e.end <= e.off || e.end > size || e.off%pageSize != 0 {
			t.Fatalf("extents %+v overlap or leave the arena", out)
		}
		at = e.end
	}
}
