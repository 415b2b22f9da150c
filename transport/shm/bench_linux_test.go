package shm_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/shm"
)

// Benchmarks: Postbox over shm and over unix beside the raw baselines, all
// between two processes. Run them together (see docs/BENCHMARKS.md):
//
//	go test -run '^$' -bench . ./transport/shm/

const (
	envNoSpin = "POSTBOX_SHM_BENCH_NOSPIN" // a helper endpoint that never spins
	envRing   = "POSTBOX_SHM_BENCH_RING"   // the helper endpoint's ring size in bytes
)

func init() {
	helpers["endpoint"] = endpointPeer
}

// endpointPeer listens at addr and answers every message with its own
// data — except idBlock, which prints "handling" and never returns.
func endpointPeer(addr string) error {
	if os.Getenv(envNoSpin) != "" {
		shm.SetMaxSpin(0)
	}
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		if m.ID == idBlock {
			fmt.Println("handling")
			select {}
		}
		return postbox.Reply{Result: m.W, Data: m.Data}, nil
	})
	var opts []postbox.ListenOption
	if n, _ := strconv.Atoi(os.Getenv(envRing)); n > 0 {
		opts = append(opts, func(lc *postbox.ListenConfig) { lc.ShmRingSize = n })
	}
	ep, err := postbox.Listen(addr, h, opts...)
	if err != nil {
		return err
	}
	fmt.Println("ready " + strings.Join(ep.Addrs(), " "))
	select {}
}

// dialPeer starts an endpoint in a helper process and dials it over scheme.
func dialPeer(b *testing.B, scheme string) *postbox.Conn {
	b.Setenv("XDG_RUNTIME_DIR", shortPath(b, ""))
	startHelper(b, "endpoint", scheme+":bench")
	c, err := postbox.Dial(context.Background(), scheme+":bench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// send64 returns a function sending 64 bytes over c and checking the echo.
func send64(b *testing.B, c *postbox.Conn) func() {
	ctx := context.Background()
	m := postbox.Message{ID: postbox.User, Data: make([]byte, 64)}
	return func() {
		rep, err := c.Send(ctx, m)
		if err != nil || len(rep.Data) != 64 {
			b.Fatal(err, len(rep.Data))
		}
	}
}

func benchSend(b *testing.B, scheme string) {
	send := send64(b, dialPeer(b, scheme))
	for range 1000 { // warm up: fault in the rings' first pages, settle the spinners
		send()
	}
	measure(b, send)
}

// benchSendNoSpin: neither end ever spins, so every message finds its
// receiver asleep on a futex — the same work as the bare futex ping-pong.
func benchSendNoSpin(b *testing.B) {
	b.Setenv(envNoSpin, "1")
	defer shm.SetMaxSpin(shm.SetMaxSpin(0))
	benchSend(b, "shm")
}

// benchSendIdle sends after a pause long enough for the endpoint to stop
// spinning and sleep, and reports the time of the Send alone.
func benchSendIdle(b *testing.B, gap time.Duration) {
	send := send64(b, dialPeer(b, "shm"))
	send()
	measureGaps(b, gap, send)
}

// measureGaps times op alone after each of b.N pauses of gap, reporting
// the mean as ns/op and the median as p50-ns/op.
func measureGaps(b *testing.B, gap time.Duration, op func()) {
	per := make([]float64, 0, b.N)
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		time.Sleep(gap)
		t := time.Now()
		op()
		d := time.Since(t)
		total += d
		per = append(per, float64(d))
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/op")
	report(b, per)
}

func benchPostStream(b *testing.B, scheme string, size int) {
	c := dialPeer(b, scheme)
	ctx := context.Background()
	m := postbox.Message{ID: postbox.User, Data: make([]byte, size)}
	post := func() {
		if err := c.Post(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	for range 100 {
		post()
	}
	if err := c.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	stream(b, size, post, func() {
		if err := c.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkRoundTrip64: a 64-byte message and its 64-byte answer.
func BenchmarkRoundTrip64(b *testing.B) {
	b.Run("bare-spin", benchBareSpin)
	b.Run("bare-futex", func(b *testing.B) { benchBareFutex(b, 0) })
	b.Run("raw-unix", benchRawUnixRTT)
	b.Run("postbox-unix", func(b *testing.B) { benchSend(b, "unix") })
	b.Run("shm-active", func(b *testing.B) { benchSend(b, "shm") })
	b.Run("shm-asleep", benchSendNoSpin)
	b.Run("bare-futex-idle", func(b *testing.B) { benchBareFutex(b, time.Millisecond) })
	b.Run("shm-idle", func(b *testing.B) { benchSendIdle(b, time.Millisecond) })
}

var streamSizes = []struct {
	name string
	size int
}{{"4KiB", 4 << 10}, {"64KiB", 64 << 10}, {"1MiB", 1 << 20}}

// BenchmarkStream: Posts back to back, against a raw Unix-socket stream
// of the same write size and a single-threaded copy.
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

func init() {
	helpers["inplace"] = inPlacePeer
}

// inPlacePeer listens at addr with InPlace and answers every Send with its
// payload's length: the receiving side of a zero-copy Send.
func inPlacePeer(addr string) error {
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Result: int64(len(m.Data))}, nil
	})
	if _, err := postbox.Listen(addr, h, postbox.WithInPlace()); err != nil {
		return err
	}
	fmt.Println("ready")
	select {}
}

// BenchmarkZeroCopySend: a Send of a buffer from Conn.Borrow, read in place
// by the endpoint's handler, which answers with the length. The payload is
// neither written nor read: what crossing costs when nothing is copied.
func BenchmarkZeroCopySend(b *testing.B) {
	for _, n := range []int{64, 1 << 20, 4 << 20} {
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			b.Setenv("XDG_RUNTIME_DIR", shortPath(b, ""))
			startHelper(b, "inplace", "shm:zc")
			c, err := postbox.Dial(context.Background(), "shm:zc")
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ctx := context.Background()
			send := func() {
				rep, err := c.Send(ctx, postbox.Message{ID: postbox.User, Data: c.Borrow(n)})
				if err != nil || rep.Result != int64(n) {
					b.Fatal(rep.Result, err)
				}
			}
			for range 1000 {
				send()
			}
			b.ReportAllocs()
			measure(b, send)
		})
	}
}
