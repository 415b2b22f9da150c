package winmsg_test

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/wintest"
)

// Postbox ↔ Postbox over window messages, between two processes.

// Message IDs the counter child understands.
const (
	idCount = postbox.User + 10 // Send: Result = messages seen
	idCRC   = postbox.User + 11 // Send: Result = CRC-32 of the data seen, in order
	idBlock = postbox.User + 12 // prints "handling" and never returns
)

// childCounter listens on the name in args[0] and counts WM_COPYDATA
// posts, until its standard input closes.
func childCounter(args []string) int {
	var count int64
	crc := crc32.NewIEEE()
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		switch m.ID {
		case postbox.CopyData:
			count++
			fmt.Fprintf(crc, "%d:%s;", m.L, m.Data)
		case idCount:
			return postbox.Reply{Result: count}, nil
		case idCRC:
			return postbox.Reply{Result: int64(crc.Sum32())}, nil
		case idBlock:
			fmt.Println("handling")
			select {}
		}
		return postbox.Reply{}, nil
	})
	ep, err := postbox.Listen(args[0], h)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	defer ep.Close()
	fmt.Println("ready", os.Getpid())
	io.Copy(io.Discard, os.Stdin)
	return 0
}

func TestPostboxToPostboxPostWithData(t *testing.T) {
	name := wintest.Name(t)
	child := wintest.Start(t, "counter", name)
	pid, _ := strconv.Atoi(child.Expect(t, "ready", 20*time.Second)[len("ready "):])

	c := dial(t, "winmsg:"+name)
	if c.Peer().PID != pid {
		t.Fatalf("Peer().PID = %d, want the child's %d", c.Peer().PID, pid)
	}
	want := crc32.NewIEEE()
	const n = 300
	for i := range n {
		data := []byte(strconv.Itoa(i * i))
		fmt.Fprintf(want, "%d:%s;", i, data)
		if err := c.Post(ctxT(t), postbox.Message{ID: postbox.CopyData, L: int64(i), Data: data}); err != nil {
			t.Fatalf("Post %d: %v", i, err)
		}
	}
	if err := c.Flush(ctxT(t)); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	// A Send keeps its place behind the posts: it is answered after them.
	if rep, err := c.Send(ctxT(t), postbox.Message{ID: idCount}); err != nil || rep.Result != n {
		t.Fatalf("count = %+v, %v, want %d", rep, err, n)
	}
	if rep, err := c.Send(ctxT(t), postbox.Message{ID: idCRC}); err != nil || uint32(rep.Result) != want.Sum32() {
		t.Fatalf("CRC = %#x, %v, want %#x: data lost, changed or reordered", uint32(rep.Result), err, want.Sum32())
	}
}

func TestEndpointWindowFound(t *testing.T) {
	name := wintest.Name(t)
	child := wintest.Start(t, "counter", name)
	pid, _ := strconv.Atoi(child.Expect(t, "ready", 20*time.Second)[len("ready "):])
	// A process with only hidden endpoint windows: pid= falls back to them.
	c := dial(t, "winmsg:pid="+strconv.Itoa(pid))
	if rep, err := c.Send(ctxT(t), postbox.Message{ID: idCount}); err != nil || rep.Result != 0 {
		t.Fatalf("Send via pid= = %+v, %v", rep, err)
	}
	if c.MaxSize() != 16<<20 {
		t.Fatalf("MaxSize = %d, want the endpoint's published 16 MiB", c.MaxSize())
	}
}

// A receiver that dies while handling a Send: the sender learns it at
// once, not at its deadline.
func TestPeerDeathMidSend(t *testing.T) {
	name := wintest.Name(t)
	child := wintest.Start(t, "counter", name)
	child.Expect(t, "ready", 20*time.Second)
	c := dial(t, "winmsg:"+name)
	done := make(chan error, 1)
	go func() {
		_, err := c.Send(ctxT(t), postbox.Message{ID: idBlock})
		done <- err
	}()
	child.Expect(t, "handling", 20*time.Second)
	child.Cmd.Process.Kill()
	select {
	case err := <-done:
		if !errors.Is(err, postbox.ErrPeerGone) {
			t.Fatalf("Send to a window whose process died: %v, want ErrPeerGone", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Send still waiting 15s after the receiver died")
	}
}

// A Postbox endpoint's window publishes its size limit; the sender
// refuses larger data before sending it.
func TestOversizeRefusedBySender(t *testing.T) {
	_, name := listenRecorder(t, nil, postbox.WithMaxSize(16))
	c := dial(t, "winmsg:"+name)
	if c.MaxSize() != 16 {
		t.Fatalf("MaxSize = %d, want the endpoint's 16", c.MaxSize())
	}
	_, err := c.Send(ctxT(t), postbox.Message{ID: postbox.CopyData, Data: make([]byte, 17)})
	if !errors.Is(err, postbox.ErrTooLarge) {
		t.Fatalf("Send of 17 bytes: %v, want ErrTooLarge", err)
	}
	if err := c.Post(ctxT(t), postbox.Message{ID: postbox.CopyData, Data: make([]byte, 17)}); !errors.Is(err, postbox.ErrTooLarge) {
		t.Fatalf("Post of 17 bytes: %v, want ErrTooLarge", err)
	}
}
