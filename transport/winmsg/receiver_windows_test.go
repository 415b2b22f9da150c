package winmsg_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/wintest"
)

// Postbox → Win32: Postbox talks to a plain window procedure like the
// seed's C# receiver.

// seedReceiver is a running seedreceiver program.
type seedReceiver struct {
	p     *wintest.Process
	title string
	hwnd  uint64
	pid   int
}

func startReceiver(t *testing.T, args ...string) *seedReceiver {
	t.Helper()
	title := "Seed Receiver " + wintest.Name(t)
	p := wintest.StartProgram(t, wintest.InteropProgram(t, "seedreceiver"), append([]string{title}, args...)...)
	r := &seedReceiver{p: p, title: title}
	line := p.Expect(t, "ready ", 20*time.Second)
	if _, err := fmt.Sscanf(line, "ready hwnd=%x pid=%d", &r.hwnd, &r.pid); err != nil {
		t.Fatalf("seedreceiver said %q: %v", line, err)
	}
	return r
}

// expect returns the receiver's next line, which must start with prefix.
func (r *seedReceiver) expect(t *testing.T, prefix string) string {
	t.Helper()
	l := r.p.Line(t, 10*time.Second)
	if !strings.HasPrefix(l, prefix) {
		t.Fatalf("seedreceiver recorded %q, want %q…", l, prefix)
	}
	return l
}

func dial(t *testing.T, addr string) *postbox.Conn {
	t.Helper()
	c, err := postbox.Dial(ctxT(t), addr)
	if err != nil {
		t.Fatalf("Dial(%s): %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSendCopyDataANSI(t *testing.T) {
	r := startReceiver(t)
	c := dial(t, "winmsg:title="+r.title+"?enc=ansi")
	rep, err := c.Send(ctxT(t), postbox.Message{ID: postbox.CopyData, L: 9, Data: []byte(seedJSON)})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if rep.Result != int64(len(seedJSON)+1) {
		t.Fatalf("LRESULT = %d, want cbData = len+1 = %d", rep.Result, len(seedJSON)+1)
	}
	want := fmt.Sprintf("copydata w=0 dwData=9 cbData=%d text=%s hex=%x00", len(seedJSON)+1, seedJSON, seedJSON)
	if got := r.expect(t, "copydata"); got != want {
		t.Fatalf("the receiver recorded\n%s\nwant\n%s", got, want)
	}
}

func TestSendCopyDataUTF16(t *testing.T) {
	r := startReceiver(t)
	c := dial(t, "winmsg:title="+r.title+"?enc=utf16")
	if _, err := c.Send(ctxT(t), postbox.Message{ID: postbox.CopyData, Data: []byte("hé")}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := r.expect(t, "copydata"); !strings.HasSuffix(got, "cbData=6 text=h hex=6800e9000000") {
		t.Fatalf("the receiver recorded %q, want UTF-16LE with a NUL character", got)
	}
}

func TestPostWithDataAcrossProcesses(t *testing.T) {
	r := startReceiver(t)
	c := dial(t, "winmsg:title="+r.title+"?enc=ansi")
	const n = 50
	for i := range n {
		data := []byte(fmt.Sprintf(`{"seq":%d}`, i))
		if err := c.Post(ctxT(t), postbox.Message{ID: postbox.CopyData, L: int64(i), Data: data}); err != nil {
			t.Fatalf("Post %d: %v", i, err)
		}
		data[0] = 'X' // the caller may reuse its buffer at once
	}
	if err := c.Flush(ctxT(t)); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	for i := range n {
		want := fmt.Sprintf(`dwData=%d cbData=%d text={"seq":%d}`, i, len(fmt.Sprintf(`{"seq":%d}`, i))+1, i)
		if got := r.expect(t, "copydata"); !strings.Contains(got, want) {
			t.Fatalf("post %d arrived as %q, want %q (in order)", i, got, want)
		}
	}
}

func TestPostMessageWithoutData(t *testing.T) {
	r := startReceiver(t)
	c := dial(t, "winmsg:title="+r.title)
	if err := c.Post(ctxT(t), postbox.Message{ID: postbox.User + 1, W: 7, L: 42}); err != nil {
		t.Fatalf("Post: %v", err)
	}
	r.expect(t, "user1 w=7 l=42")
}

func TestAddressForms(t *testing.T) {
	r := startReceiver(t)
	for _, addr := range []string{
		"winmsg:title=" + r.title,
		"winmsg:class=SeedReceiver",
		"winmsg:pid=" + strconv.Itoa(r.pid),
		fmt.Sprintf("winmsg:hwnd=0x%x", r.hwnd),
	} {
		t.Run(addr, func(t *testing.T) {
			c := dial(t, addr)
			if p := c.Peer(); p.PID != r.pid || p.Addr != fmt.Sprintf("hwnd=0x%x", r.hwnd) {
				t.Fatalf("Peer = %+v, want pid %d, hwnd 0x%x", p, r.pid, r.hwnd)
			}
			rep, err := c.Send(ctxT(t), postbox.Message{ID: postbox.User + 1, W: 2, L: 3})
			if err != nil || rep.Result != 5 {
				t.Fatalf("Send = %+v, %v, want LRESULT 5", rep, err)
			}
			r.expect(t, "user1 w=2 l=3")
		})
	}
}

func TestSendTimeout(t *testing.T) {
	r := startReceiver(t)
	c := dial(t, "winmsg:title="+r.title)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Send(ctx, postbox.Message{ID: postbox.User + 2, L: 3000}) // the receiver sleeps 3s
	if !errors.Is(err, postbox.ErrTimeout) {
		t.Fatalf("Send to a slow window: %v, want ErrTimeout", err)
	}
}

func TestNoWindow(t *testing.T) {
	_, err := postbox.Dial(ctxT(t), "winmsg:title=no such window "+wintest.Name(t))
	if !errors.Is(err, postbox.ErrNoEndpoint) {
		t.Fatalf("Dial: %v, want ErrNoEndpoint", err)
	}
}

func TestDataNeedsCopyData(t *testing.T) {
	r := startReceiver(t)
	c := dial(t, "winmsg:title="+r.title)
	_, err := c.Send(ctxT(t), postbox.Message{ID: postbox.User + 1, Data: []byte("x")})
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Send with data and ID WM_USER+1: %v, want errors.ErrUnsupported", err)
	}
}

func TestWindowGoneReported(t *testing.T) {
	r := startReceiver(t)
	c := dial(t, "winmsg:title="+r.title)
	r.p.Stop()
	if err := c.Post(ctxT(t), postbox.Message{ID: postbox.CopyData, Data: []byte("late")}); err != nil {
		t.Fatalf("Post (queued): %v", err)
	}
	var lost *postbox.LostError
	if err := c.Flush(ctxT(t)); !errors.As(err, &lost) || lost.Count != 1 || !errors.Is(err, postbox.ErrPeerGone) {
		t.Fatalf("Flush after the window died: %v, want a LostError of 1 wrapping ErrPeerGone", err)
	}
	if _, err := c.Send(ctxT(t), postbox.Message{ID: postbox.User + 1}); !errors.Is(err, postbox.ErrPeerGone) {
		t.Fatalf("Send to a dead window: %v, want ErrPeerGone", err)
	}
}

func TestCloseReportsUndelivered(t *testing.T) {
	r := startReceiver(t, "hang")
	c, err := postbox.Dial(ctxT(t), "winmsg:title="+r.title, postbox.WithDialCloseTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := c.Post(ctxT(t), postbox.Message{ID: postbox.CopyData, Data: []byte("x")}); err != nil {
			t.Fatalf("Post: %v", err)
		}
	}
	var lost *postbox.LostError
	if err := c.Close(); !errors.As(err, &lost) || lost.Count != 3 {
		t.Fatalf("Close with a hung window: %v, want a LostError of 3", err)
	}
}

func TestSendAsync(t *testing.T) {
	r := startReceiver(t)
	c := dial(t, "winmsg:title="+r.title)
	type res struct {
		rep postbox.Reply
		err error
	}
	ch := make(chan res, 1)
	c.SendAsync(context.Background(), postbox.Message{ID: postbox.User + 1, W: 20, L: 22}, func(rep postbox.Reply, err error) { ch <- res{rep, err} })
	select {
	case got := <-ch:
		if got.err != nil || got.rep.Result != 42 {
			t.Fatalf("SendAsync = %+v", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SendAsync never called back")
	}
	r.expect(t, "user1 w=20 l=22")
}

func TestPostQueueFull(t *testing.T) {
	r := startReceiver(t, "hang")
	c := dial(t, "winmsg:title="+r.title)
	for i := range 20000 {
		err := c.TryPost(postbox.Message{ID: postbox.User + 1, W: int64(i)})
		if errors.Is(err, postbox.ErrQueueFull) {
			t.Logf("queue full after %d posts", i)
			return
		}
		if err != nil {
			t.Fatalf("TryPost %d: %v", i, err)
		}
	}
	wintest.SkipOnWine(t, "Wine 8.0 puts no quota on a thread's posted-message queue, so PostMessage never fails with ERROR_NOT_ENOUGH_QUOTA")
	t.Fatal("20,000 posts to a hung window never filled its queue (Windows' quota is 10,000)")
}
