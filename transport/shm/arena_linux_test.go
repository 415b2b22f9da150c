package shm_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// Payloads that travel by descriptor through the region's arenas: buffers
// from Borrow; every other payload goes through the rings.

// pattern fills b with bytes derived from seed.
func pattern(b []byte, seed uint64) {
	r := rand.NewPCG(seed, 7)
	for ; len(b) >= 8; b = b[8:] {
		binary.LittleEndian.PutUint64(b, r.Uint64())
	}
	for i := range b {
		b[i] = byte(r.Uint64())
	}
}

// echoEndpoint listens on shm:NAME with opts; its handler answers a Send
// with its data, in a buffer from postbox.Borrow.
func echoEndpoint(t *testing.T, name string, opts ...postbox.ListenOption) *postbox.Conn {
	t.Helper()
	privateNamespace(t)
	h := postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		b := postbox.Borrow(ctx, len(m.Data))
		copy(b, m.Data)
		return postbox.Reply{Result: int64(len(m.Data)), Data: b}, nil
	})
	ep, err := postbox.Listen("shm:"+name, h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	c, err := postbox.Dial(context.Background(), "shm:"+name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestBorrowedBufferIsReadInPlace shows that with InPlace the handler reads
// the very memory the sender filled: it marks the buffer, and the mark
// shows in the sender's view of it. Without InPlace it marks its own copy.
func TestBorrowedBufferIsReadInPlace(t *testing.T) {
	for _, inPlace := range []bool{true, false} {
		t.Run(fmt.Sprintf("InPlace=%v", inPlace), func(t *testing.T) {
			privateNamespace(t)
			h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
				want := make([]byte, len(m.Data))
				pattern(want, 1)
				ok := bytes.Equal(m.Data, want)
				m.Data[0] ^= 0xFF
				return postbox.Reply{Result: map[bool]int64{true: 1}[ok]}, nil
			})
			var opts []postbox.ListenOption
			if inPlace {
				opts = append(opts, postbox.WithInPlace())
			}
			ep, err := postbox.Listen("shm:inplace", h, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer ep.Close()
			c, err := postbox.Dial(context.Background(), "shm:inplace")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, n := range []int{1, 4096, 1 << 20} {
				b := c.Borrow(n)
				pattern(b, 1)
				first := b[0]
				rep, err := c.Send(context.Background(), postbox.Message{ID: 1, Data: b})
				if err != nil || rep.Result != 1 {
					t.Fatalf("%d bytes: Send = %+v, %v; the handler saw other bytes", n, rep, err)
				}
				// The buffer is the Conn's again; its pages are not yet
				// lent anew, so the test may look at what the handler did.
				if marked := b[0] != first; marked != inPlace {
					t.Fatalf("%d bytes: the handler's mark reached the sender's buffer: %v, want %v", n, marked, inPlace)
				}
			}
		})
	}
}

// TestSharedPayloadsKeepTheirBytes runs eight callers at once with payloads
// from 1 byte to 3 MiB, borrowed or not, more than the arena holds, so that
// descriptors, copies into the arena and the rings all mix; every echo must
// come back intact.
func TestSharedPayloadsKeepTheirBytes(t *testing.T) {
	for _, inPlace := range []bool{false, true} {
		t.Run(fmt.Sprintf("InPlace=%v", inPlace), func(t *testing.T) {
			var opts []postbox.ListenOption
			if inPlace {
				opts = append(opts, postbox.WithInPlace())
			}
			c := echoEndpoint(t, "mix", opts...)
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(g), 1))
					for i := range 24 {
						n := 1 + r.IntN(3<<20)
						var b []byte
						if i%2 == 0 {
							b = c.Borrow(n)
						} else {
							b = make([]byte, n)
						}
						seed := uint64(g<<16 | i)
						pattern(b, seed)
						want := append([]byte(nil), b...)
						rep, err := c.Send(context.Background(), postbox.Message{ID: 1, Data: b})
						if err == nil && !bytes.Equal(rep.Data, want) {
							err = fmt.Errorf("caller %d, message %d: %d bytes came back changed", g, i, n)
						}
						if err != nil {
							errs <- err
							return
						}
						rep.Release()
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// TestBorrowedPostsArriveIntact posts more borrowed buffers than the arena
// holds at once; the handler checks each.
func TestBorrowedPostsArriveIntact(t *testing.T) {
	privateNamespace(t)
	var mu sync.Mutex
	got, bad := 0, 0
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		want := make([]byte, len(m.Data))
		pattern(want, uint64(m.W))
		mu.Lock()
		got++
		if !bytes.Equal(m.Data, want) {
			bad++
		}
		mu.Unlock()
		return postbox.Reply{}, nil
	})
	ep, err := postbox.Listen("shm:posts", h, postbox.WithInPlace())
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	c, err := postbox.Dial(context.Background(), "shm:posts")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const count = 200
	for i := range count {
		b := c.Borrow(256 << 10)
		pattern(b, uint64(i))
		if err := c.Post(context.Background(), postbox.Message{ID: 1, W: int64(i), Data: b}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		g, b := got, bad
		mu.Unlock()
		if g == count || time.Now().After(deadline) {
			if g != count || b != 0 {
				t.Fatalf("%d posts handled of %d, %d with other bytes", g, count, b)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestUnborrowedBufferIsLentAgain borrows the whole arena, gives it back
// unsent, and borrows it again: the second buffer must be in the arena
// too, which shows as an InPlace handler's mark reaching the sender's view.
func TestUnborrowedBufferIsLentAgain(t *testing.T) {
	privateNamespace(t)
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		m.Data[0] = 0xA5
		return postbox.Reply{}, nil
	})
	ep, err := postbox.Listen("shm:unborrow", h, postbox.WithInPlace(), postbox.WithShmArenaSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	c, err := postbox.Dial(context.Background(), "shm:unborrow")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Unborrow(c.Borrow(1 << 20))
	again := c.Borrow(1 << 20)
	if _, err := c.Send(context.Background(), postbox.Message{Data: again}); err != nil {
		t.Fatal(err)
	}
	if again[0] != 0xA5 { // its pages are not lent anew yet: the test may look
		t.Fatal("the second 1 MiB buffer was ordinary memory: the unborrowed one never came back")
	}
}

// TestKilledSenderLeavesPayloadReadable kills (-9) a client whose borrowed
// payload an InPlace handler is still reading: the handler's Data stays
// readable, with its bytes, and the endpoint serves the next client.
func TestKilledSenderLeavesPayloadReadable(t *testing.T) {
	privateNamespace(t)
	started, release := make(chan struct{}), make(chan struct{})
	result := make(chan error, 1)
	h := postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		if m.ID != idBlock {
			return postbox.Reply{Result: int64(len(m.Data))}, nil
		}
		close(started)
		<-release
		want := make([]byte, len(m.Data))
		pattern(want, 42)
		if !bytes.Equal(m.Data, want) {
			result <- errors.New("the payload changed after its sender died")
		} else {
			result <- nil
		}
		return postbox.Reply{}, nil
	})
	gone := make(chan struct{}, 1)
	ep, err := postbox.Listen("shm:held", h, postbox.WithInPlace(),
		postbox.WithOnDisconnect(func(postbox.Peer) { gone <- struct{}{} }))
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	p := startHelper(t, "borrower", "shm:held")
	p.expect(t, "sending")
	<-started
	p.kill()
	select {
	case <-gone:
	case <-time.After(deathBound + time.Second):
		t.Fatal("the endpoint did not notice its client's death")
	}
	close(release)
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	c, err := postbox.Dial(context.Background(), "shm:held")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := c.Borrow(1 << 20)
	if rep, err := c.Send(context.Background(), postbox.Message{Data: b}); err != nil || rep.Result != 1<<20 {
		t.Fatalf("the next client: %+v, %v", rep, err)
	}
}

// TestKilledEndpointLeavesBorrowedBufferUsable kills (-9) the endpoint while
// the client holds a borrowed buffer: the buffer stays writable, a Send
// with it fails with ErrPeerGone, and nothing faults.
func TestKilledEndpointLeavesBorrowedBufferUsable(t *testing.T) {
	privateNamespace(t)
	p := startHelper(t, "endpoint", "shm:victim")
	c, err := postbox.Dial(context.Background(), "shm:victim")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := c.Borrow(1 << 20)
	pattern(b, 5)
	rep, err := c.Send(context.Background(), postbox.Message{Data: b})
	if err != nil || len(rep.Data) != 1<<20 {
		t.Fatalf("Send = %d bytes, %v", len(rep.Data), err)
	}
	held := c.Borrow(1 << 20)
	p.kill()
	deadline := time.Now().Add(deathBound + time.Second)
	for {
		_, err = c.Send(context.Background(), postbox.Message{})
		if errors.Is(err, postbox.ErrPeerGone) || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !errors.Is(err, postbox.ErrPeerGone) {
		t.Fatalf("Send to a killed endpoint: %v", err)
	}
	pattern(held, 6) // still mapped, now private
	if _, err := c.Send(context.Background(), postbox.Message{Data: held}); !errors.Is(err, postbox.ErrPeerGone) {
		t.Fatalf("Send of a borrowed buffer to a killed endpoint: %v", err)
	}
}

func init() {
	helpers["borrower"] = borrowerPeer
}

// borrowerPeer dials addr and sends a borrowed 1 MiB buffer whose handler
// blocks, after saying "sending".
func borrowerPeer(addr string) error {
	c, err := postbox.Dial(context.Background(), addr)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	b := c.Borrow(1 << 20)
	pattern(b, 42)
	fmt.Println("sending")
	_, err = c.Send(context.Background(), postbox.Message{ID: idBlock, Data: b})
	return err
}

// TestInPlaceReplyIsReadWhereTheHandlerWroteIt: with Dialer.InPlace a reply
// from postbox.Borrow is read where the handler wrote it — the handler's
// later write to its buffer shows in the caller's Data until Release —
// and Release gives it back, so replies never released by a caller do not
// stop the others.
func TestInPlaceReplyIsReadWhereTheHandlerWroteIt(t *testing.T) {
	privateNamespace(t)
	last := make(chan []byte, 1)
	h := postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		b := postbox.Borrow(ctx, int(m.W))
		pattern(b, uint64(m.L))
		select {
		case <-last:
		default:
		}
		last <- b
		return postbox.Reply{Data: b}, nil
	})
	ep, err := postbox.Listen("shm:replies", h)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	c, err := postbox.Dial(context.Background(), "shm:replies", postbox.WithDialInPlace())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := make([]byte, 1<<20)
	for i := range 100 { // 100 MiB of replies through an 8 MiB arena
		rep, err := c.Send(context.Background(), postbox.Message{W: 1 << 20, L: int64(i)})
		if err != nil {
			t.Fatal(err)
		}
		pattern(want, uint64(i))
		if !bytes.Equal(rep.Data, want) {
			t.Fatalf("reply %d has other bytes", i)
		}
		if i == 0 {
			(<-last)[5] ^= 0xFF // the handler's buffer, written after it answered
			if rep.Data[5] == want[5] {
				t.Fatal("the reply is a copy: the handler's write did not show")
			}
		}
		if i%10 != 9 { // some replies are never released: the connection goes on
			rep.Release()
		}
	}
}

// TestBorrowedReplyNotSentComesBack: a handler that borrows a reply buffer
// and then fails gives it back with its error. After 20 such failures in
// an arena of 1 MiB, a 1 MiB reply still travels in the arena: the
// handler's later write to its buffer shows in the caller's in-place Data.
func TestBorrowedReplyNotSentComesBack(t *testing.T) {
	privateNamespace(t)
	kept := make(chan []byte, 1)
	h := postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		b := postbox.Borrow(ctx, 1<<20)
		if m.ID == 1 {
			return postbox.Reply{Data: b}, errors.New("no")
		}
		kept <- b
		return postbox.Reply{Data: b}, nil
	})
	ep, err := postbox.Listen("shm:failed", h, postbox.WithShmArenaSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	c, err := postbox.Dial(context.Background(), "shm:failed", postbox.WithDialInPlace())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 20 {
		if _, err := c.Send(context.Background(), postbox.Message{ID: 1}); err == nil {
			t.Fatal("the handler's error did not arrive")
		}
	}
	rep, err := c.Send(context.Background(), postbox.Message{ID: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer rep.Release()
	(<-kept)[0] = 0x5A
	if rep.Data[0] != 0x5A {
		t.Fatal("the reply was copied: the failed replies' buffers never came back to the arena")
	}
}
