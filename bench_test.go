package postbox_test

// Benchmarks: Postbox over Unix sockets beside raw Unix-socket baselines,
// in the same run, with the receiver in a second process. Run:
//
//	go test -run '^$' -bench . -benchtime 2s .
//
// and compare each Postbox figure with its Raw twin (docs/BENCHMARKS.md).

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

const envBenchServer = "POSTBOX_BENCH_SERVER" // directory to serve in

var benchSizes = []int{64, 4 << 10, 64 << 10, 1 << 20}

// benchServer runs in the child: a Postbox echo endpoint and a raw echo
// socket, until stdin closes.
func benchServer(dir string) {
	os.Setenv("XDG_RUNTIME_DIR", dir)
	ep, err := postbox.Listen("bench", postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		if m.ID == postbox.User { // a Send that asks for no payload back
			return postbox.Reply{Result: int64(len(m.Data))}, nil
		}
		if m.ID == postbox.CopyData {
			return postbox.Reply{Data: m.Data}, nil
		}
		return postbox.Reply{}, nil
	}))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	ln, err := net.Listen("unix", filepath.Join(dir, "raw.sock"))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go rawServe(c)
		}
	}()
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	ep.Close()
}

// rawServe is the raw baseline's receiver: length-prefixed messages; a
// message with the high bit set in its length is echoed back.
func rawServe(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 64<<10)
	var hdr [4]byte
	buf := make([]byte, 1<<20)
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		n := binary.LittleEndian.Uint32(hdr[:])
		echo := n&(1<<31) != 0
		n &^= 1 << 31
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return
		}
		if echo {
			if _, err := c.Write(append(hdr[:], buf[:n]...)); err != nil {
				return
			}
		}
	}
}

// startBenchServer starts the child process once per benchmark.
func startBenchServer(b *testing.B) string {
	b.Helper()
	dir, err := os.MkdirTemp("", "pbxb")
	if err != nil {
		b.Fatal(err)
	}
	exe, _ := os.Executable()
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envBenchServer+"="+dir)
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if !strings.HasPrefix(line, "ready") {
		b.Fatalf("bench server: %q", line)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
		os.RemoveAll(dir)
	})
	return dir
}

func benchDial(b *testing.B, dir string) *postbox.Conn {
	c, err := postbox.Dial(context.Background(), "unix:"+filepath.Join(dir, "postbox", "bench.sock"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// BenchmarkSend is a Send round trip with the payload echoed back.
func BenchmarkSend(b *testing.B) { benchSend(b, false) }

// BenchmarkSendRelease is BenchmarkSend giving each reply back with
// Reply.Release: its allocations per op are the difference.
func BenchmarkSendRelease(b *testing.B) { benchSend(b, true) }

func benchSend(b *testing.B, release bool) {
	dir := startBenchServer(b)
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			c := benchDial(b, dir)
			m := postbox.Message{ID: postbox.CopyData, Data: make([]byte, size)}
			ctx := context.Background()
			lat := make([]time.Duration, 0, b.N)
			b.SetBytes(int64(2 * size))
			b.ReportAllocs()
			for b.Loop() {
				t := time.Now()
				rep, err := c.Send(ctx, m)
				if err != nil {
					b.Fatal(err)
				}
				if release {
					rep.Release()
				}
				lat = append(lat, time.Since(t))
			}
			reportPercentiles(b, lat)
		})
	}
}

// BenchmarkRawPingPong is the baseline for BenchmarkSend: the same bytes
// echoed over a plain Unix socket, one goroutine, no framing beyond a length.
func BenchmarkRawPingPong(b *testing.B) {
	dir := startBenchServer(b)
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			c, err := net.Dial("unix", filepath.Join(dir, "raw.sock"))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			msg := make([]byte, 4+size)
			binary.LittleEndian.PutUint32(msg, uint32(size)|1<<31)
			in := make([]byte, 4+size)
			lat := make([]time.Duration, 0, b.N)
			b.SetBytes(int64(2 * size))
			for b.Loop() {
				t := time.Now()
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, in); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
			}
			reportPercentiles(b, lat)
		})
	}
}

// BenchmarkPost posts messages and ends with a Send, so every post was
// handled end to end when the timer stops.
func BenchmarkPost(b *testing.B) {
	dir := startBenchServer(b)
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			c := benchDial(b, dir)
			m := postbox.Message{ID: postbox.App, Data: make([]byte, size)}
			ctx := context.Background()
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Post(ctx, m); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := c.Send(ctx, postbox.Message{ID: postbox.User}); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkRawStream is the baseline for BenchmarkPost: length-prefixed
// writes through a 64 KiB buffer, then one echoed message to wait for the
// receiver.
func BenchmarkRawStream(b *testing.B) {
	dir := startBenchServer(b)
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			c, err := net.Dial("unix", filepath.Join(dir, "raw.sock"))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			w := bufio.NewWriterSize(c, 64<<10)
			msg := make([]byte, 4+size)
			binary.LittleEndian.PutUint32(msg, uint32(size))
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := w.Write(msg); err != nil {
					b.Fatal(err)
				}
			}
			var sync [4]byte
			binary.LittleEndian.PutUint32(sync[:], 1<<31)
			w.Write(sync[:])
			w.Flush()
			if _, err := io.ReadFull(c, sync[:]); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	for _, p := range []struct {
		name string
		q    float64
	}{{"p50-ns", 0.50}, {"p90-ns", 0.90}, {"p99-ns", 0.99}} {
		b.ReportMetric(float64(lat[int(float64(len(lat)-1)*p.q)].Nanoseconds()), p.name)
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}
