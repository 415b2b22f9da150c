package shm_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// Benchmarks: Postbox over shm and over unix beside the raw baselines, all
// between two processes. Run them together (see docs/BENCHMARKS.md):
//
//	go test -run '^$' -bench . ./transport/shm/

func init() {
	helpers["endpoint"] = endpointPeer
}

// endpointPeer listens at addr and answers every message with its own
// data — except idBlock, which prints "handling" and never returns.
func endpointPeer(addr string) error {
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		if m.ID == idBlock {
			fmt.Println("handling")
			select {}
		}
		return postbox.Reply{Result: m.W, Data: m.Data}, nil
	})
	ep, err := postbox.Listen(addr, h)
	if err != nil {
		return err
	}
	fmt.Println("ready " + strings.Join(ep.Addrs(), " "))
	select {}
}

// dialPeer starts an endpoint in a helper process and dials it over scheme.
func dialPeer(b *testing.B, scheme string) *postbox.Conn {
	dir := shortPath(b, "")
	name := fmt.Sprintf("bench%d", time.Now().UnixNano()%1e6)
	b.Setenv("XDG_RUNTIME_DIR", dir)
	startHelper(b, "endpoint", scheme+":"+name)
	c, err := postbox.Dial(context.Background(), scheme+":"+name)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

func benchSend(b *testing.B, scheme string, gap time.Duration) {
	c := dialPeer(b, scheme)
	ctx := context.Background()
	m := postbox.Message{ID: postbox.User, Data: make([]byte, 64)}
	for range 100 { // warm up: map the rings' first pages, settle the spinners
		if _, err := c.Send(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		if gap > 0 {
			time.Sleep(gap) // long enough for the endpoint to fall asleep
		}
		t := time.Now()
		rep, err := c.Send(ctx, m)
		total += time.Since(t)
		if err != nil || len(rep.Data) != 64 {
			b.Fatal(err, len(rep.Data))
		}
	}
	if gap > 0 {
		b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/op")
	}
}

func benchPostStream(b *testing.B, scheme string, size int) {
	c := dialPeer(b, scheme)
	ctx := context.Background()
	m := postbox.Message{ID: postbox.User, Data: make([]byte, size)}
	for range 100 {
		if err := c.Post(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	for range b.N {
		if err := c.Post(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Flush(ctx); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkRoundTrip64(b *testing.B) {
	b.Run("bare-spin", benchBareSpin)
	b.Run("bare-futex", benchBareFutex)
	b.Run("raw-unix", benchRawUnixRTT)
	b.Run("postbox-unix", func(b *testing.B) { benchSend(b, "unix", 0) })
	b.Run("shm-active", func(b *testing.B) { benchSend(b, "shm", 0) })
	b.Run("shm-asleep", func(b *testing.B) { benchSend(b, "shm", 2*time.Millisecond) })
}

var streamSizes = []struct {
	name string
	size int
}{{"4KiB", 4 << 10}, {"64KiB", 64 << 10}, {"1MiB", 1 << 20}}

func BenchmarkStream(b *testing.B) {
	for _, s := range streamSizes {
		b.Run("raw-unix/"+s.name, func(b *testing.B) { benchRawUnixStream(b, s.size) })
		b.Run("postbox-unix/"+s.name, func(b *testing.B) { benchPostStream(b, "unix", s.size) })
		b.Run("shm/"+s.name, func(b *testing.B) { benchPostStream(b, "shm", s.size) })
	}
	b.Run("copy/1MiB", func(b *testing.B) { benchCopy(b, 1<<20) })
}

// shortPath is a path in a short temporary directory (socket paths are
// limited to 108 bytes); name "" returns the directory.
func shortPath(tb testing.TB, name string) string {
	dir, err := os.MkdirTemp("", "pbx")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, name)
}
