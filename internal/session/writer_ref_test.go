package session

import (
	"bytes"
	"net"
	"sync/atomic"
	"testing"

	"github.com/postbox-ipc/postbox/internal/wire"
)

// Frames queued by reference (frameRef) and by copy leave in the order
// they were queued, each whole, and the bytes held come back to zero once
// they are written; frames still queued when the writer closes are
// released too.
func TestFrameRefKeepsOrder(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	var held atomic.Int64
	w := newFrameWriter(server, 64<<20, 0, func(err error) { t.Errorf("writer failed: %v", err) },
		func(n int64) { held.Add(n) })

	big := func(b byte) []byte { return bytes.Repeat([]byte{b}, directMin+int(b)) }
	want := [][]byte{[]byte("first"), big(1), []byte("between"), big(2), big(3), []byte("last")}

	got := make(chan [][]byte)
	go func() {
		fr := newFrameReader(client, 1<<30)
		var out [][]byte
		for range want {
			_, p, err := fr.next(func(n int) []byte { return make([]byte, n) })
			if err != nil {
				t.Errorf("reading frame %d: %v", len(out), err)
				break
			}
			out = append(out, p)
		}
		got <- out
	}()
	// Nothing reads the pipe until the flusher writes, so all of these
	// queue behind each other; the big ones by reference.
	for i, p := range want {
		h := wire.Header{Kind: wire.KindReply, Seq: uint64(i + 1)}
		var err error
		if len(p) >= directMin {
			err = w.frameRef(&h, p, byFlusher, nil)
		} else {
			err = w.frame(&h, p, false)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	out := <-got
	if len(out) != len(want) {
		t.Fatalf("read %d frames, want %d", len(out), len(want))
	}
	for i := range want {
		if !bytes.Equal(out[i], want[i]) {
			t.Fatalf("frame %d: %d bytes, want %d", i, len(out[i]), len(want[i]))
		}
	}
	w.settle(5e9)
	if n := held.Load(); n != 0 {
		t.Fatalf("%d bytes still held after every frame was written", n)
	}

	// Queued and never written: close releases them.
	w.mu.Lock()
	w.writing = true // as if a write were under way: the frames stay queued
	w.mu.Unlock()
	h := wire.Header{Kind: wire.KindReply, Seq: 1}
	w.frameRef(&h, big(4), byFlusher, nil)
	w.frame(&h, []byte("small"), false)
	if held.Load() == 0 {
		t.Fatal("queued frames hold nothing")
	}
	w.close()
	if n := held.Load(); n != 0 {
		t.Fatalf("%d bytes still held after close", n)
	}
}
