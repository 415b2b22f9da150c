package shm

import (
	"bytes"
	"errors"
	"testing"
)

// arenaPair is a pair with small rings and arenas of n pages each.
func arenaPair(t *testing.T, pages uint64) (client, endpoint *Conn) {
	return pairLayout(t, layout{sizes: [ringCount]uint64{MinRingSize, MinRingSize},
		arenas: [ringCount]uint64{pages * pageSize, pages * pageSize}})
}

func TestArenaCarriesABorrowedBufferInPlace(t *testing.T) {
	c, e := arenaPair(t, 64)
	if !c.HasArena() || !e.HasArena() {
		t.Fatal("no arenas")
	}
	b := c.Borrow(100_000)
	if len(b) != 100_000 {
		t.Fatalf("Borrow gave %d bytes", len(b))
	}
	for i := range b {
		b[i] = byte(i)
	}
	off, ok, err := c.Share(b)
	if err != nil || !ok {
		t.Fatalf("Share = %d, %v, %v", off, ok, err)
	}
	got, err := e.Resolve(off, uint64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b) {
		t.Fatal("the endpoint reads other bytes")
	}
	if &got[0] == &b[0] {
		t.Fatal("both ends see the region at the same address: not two mappings")
	}
	b[7] = 0xEE // the same pages: nothing was copied
	if got[7] != 0xEE {
		t.Fatal("the endpoint's view is a copy")
	}
	if err := e.Return(off); err != nil {
		t.Fatal(err)
	}
}

func TestArenaSharesOnlyBorrowedBuffers(t *testing.T) {
	c, _ := arenaPair(t, 64)
	if _, ok, err := c.Share(make([]byte, 1<<20)); ok || err != nil {
		t.Fatalf("a payload outside the arena: Share = %v, %v", ok, err)
	}
	b := c.Borrow(100)
	if _, ok, _ := c.Share(b); !ok {
		t.Fatal("a borrowed buffer was not shared")
	}
	if _, ok, _ := c.Share(b); ok {
		t.Fatal("a buffer was shared twice")
	}
}

// TestArenaPagesComeBack fills the arena, then checks that pages given
// back are lent again, and only those.
func TestArenaPagesComeBack(t *testing.T) {
	c, e := arenaPair(t, 8)
	var offs []uint64
	for {
		b := c.Borrow(pageSize)
		if b == nil {
			break
		}
		off, ok, err := c.Share(b)
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
		offs = append(offs, off)
	}
	if len(offs) != 8 {
		t.Fatalf("lent %d pages of 8", len(offs))
	}
	for _, off := range offs {
		if _, err := e.Resolve(off, pageSize); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Return(offs[3]); err != nil {
		t.Fatal(err)
	}
	if c.Borrow(2*pageSize) != nil {
		t.Fatal("lent two pages where one is free")
	}
	b := c.Borrow(pageSize)
	if b == nil {
		t.Fatal("a page given back was not lent again")
	}
	if !c.Unborrow(b) || c.Unborrow(b) {
		t.Fatal("Unborrow of a borrowed buffer must succeed once")
	}
	if c.Unborrow(make([]byte, 10)) {
		t.Fatal("Unborrow took a buffer that is not in the arena")
	}
}

func TestArenaLendsAtMostTheReturnRingsSlots(t *testing.T) {
	c, e := arenaPair(t, 2*retSlots)
	n := 0
	for ; c.Borrow(1) != nil; n++ {
	}
	if n != retSlots {
		t.Fatalf("lent %d buffers, want %d", n, retSlots)
	}
	// Every slot lent to the peer and given back: the next Borrow must
	// take them back before it counts them.
	c2, e2 := arenaPair(t, 2*retSlots)
	var offs []uint64
	for b := c2.Borrow(1); b != nil; b = c2.Borrow(1) {
		off, _, _ := c2.Share(b)
		offs = append(offs, off)
	}
	for _, off := range offs {
		if _, err := e2.Resolve(off, 1); err != nil {
			t.Fatal(err)
		}
		if err := e2.Return(off); err != nil {
			t.Fatal(err)
		}
	}
	if c2.Borrow(1) == nil {
		t.Fatal("nothing lent after every buffer came back")
	}
	_ = e
}

func TestArenaRefusesForgedDescriptors(t *testing.T) {
	c, e := arenaPair(t, 4)
	size := uint64(4 * pageSize)
	for _, d := range []struct{ off, n uint64 }{
		{0, 0}, {size, 1}, {size - 1, 2}, {1, size}, {^uint64(0), 2}, {8, ^uint64(0) - 4},
	} {
		if _, err := e.Resolve(d.off, d.n); !errors.Is(err, ErrRingCorrupt) {
			t.Errorf("Resolve(%d, %d) = %v, want ErrRingCorrupt", d.off, d.n, err)
		}
	}
	if _, err := e.Resolve(100, 200); err != nil {
		t.Fatal(err)
	}
	// The lender reusing pages it has not had back.
	if _, err := e.Resolve(250, 10); !errors.Is(err, ErrRingCorrupt) {
		t.Errorf("an overlapping descriptor was accepted: %v", err)
	}
	if _, err := e.Resolve(300, 10); !errors.Is(err, ErrRingCorrupt) {
		t.Errorf("a descriptor on a page already held was accepted: %v", err)
	}
	if _, err := e.Resolve(pageSize, 10); err != nil {
		t.Errorf("a descriptor on the next page was refused: %v", err)
	}
	_ = c
}

// TestArenaRefusesForgedReturns has the borrower give back what it was not
// lent, writing the return ring as a hostile peer would.
func TestArenaRefusesForgedReturns(t *testing.T) {
	for name, forge := range map[string]func(r retRing){
		"offset never lent": func(r retRing) { r.slots[0].Store(12345); r.head.Store(1) },
		"head far ahead":    func(r retRing) { r.head.Store(retSlots + 1) },
		"head behind":       func(r retRing) { r.head.Store(^uint64(0)) },
	} {
		t.Run(name, func(t *testing.T) {
			c, e := arenaPair(t, 4)
			forge(e.borrow.ret)
			if b := c.Borrow(10); b != nil {
				t.Fatal("lent after a forged return")
			}
			if _, err := c.Write([]byte("x")); !errors.Is(err, ErrRingCorrupt) {
				t.Fatalf("Write = %v, want ErrRingCorrupt: the connection must end", err)
			}
		})
	}
}

// TestArenaSurvivesClose touches a borrowed buffer and a resolved payload
// after both ends closed: the addresses stay valid, detached from the
// peer, with the bytes they held, until given back.
func TestArenaSurvivesClose(t *testing.T) {
	c, e := arenaPair(t, 4)
	b := c.Borrow(pageSize)
	b[0] = 'b'
	sent := c.Borrow(2 * pageSize)
	sent[pageSize+1] = 's'
	off, _, _ := c.Share(sent[1:])
	got, err := e.Resolve(off, 2*pageSize-1)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	e.Close()
	if b[0] != 'b' || got[pageSize] != 's' {
		t.Fatalf("detached memory lost its bytes: %q, %q", b[0], got[pageSize])
	}
	b[1] = 1
	got[1] = 2
	if b[1] != 1 || got[1] != 2 {
		t.Fatal("detached memory does not hold what was written")
	}
	if c.Borrow(1) != nil {
		t.Fatal("lent after Close")
	}
	if _, _, err := c.Share(b); err == nil {
		t.Fatal("shared after Close")
	}
	if _, err := e.Resolve(0, 1); err == nil {
		t.Fatal("resolved after Close")
	}
	if err := e.Return(off); err != nil {
		t.Fatalf("Return after Close = %v", err)
	}
	if !c.Unborrow(b) {
		t.Fatal("Unborrow after Close refused a borrowed buffer")
	}
}

func TestNoArenaMeansNoDescriptors(t *testing.T) {
	c, e := pair(t, MinRingSize)
	if c.HasArena() || c.Borrow(1) != nil {
		t.Fatal("an arena where the layout has none")
	}
	if _, ok, err := c.Share(make([]byte, 1<<20)); ok || err != nil {
		t.Fatalf("Share = %v, %v", ok, err)
	}
	if _, err := e.Resolve(0, 1); !errors.Is(err, ErrRingCorrupt) {
		t.Fatalf("Resolve = %v", err)
	}
}
