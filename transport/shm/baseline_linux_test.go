package shm_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The raw baselines the benchmarks compare against, each between two
// processes like the real thing: a bare shared-memory spin ping-pong, a
// bare futex ping-pong, and Unix-socket ping-pong and streaming.

func init() {
	helpers["spin"] = spinPeer
	helpers["futex"] = futexPeer
	helpers["unix-echo"] = func(path string) error { return unixPeer(path, echo64) }
	helpers["unix-sink"] = func(path string) error { return unixPeer(path, sink) }
}

// pingPong is a page of shared memory holding two words on separate lines.
type pingPong struct {
	mem        []byte
	ping, pong *atomic.Uint32
}

func mapPingPong(fd int) (*pingPong, error) {
	mem, err := unix.Mmap(fd, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &pingPong{mem: mem, ping: (*atomic.Uint32)(unsafe.Pointer(&mem[0])),
		pong: (*atomic.Uint32)(unsafe.Pointer(&mem[128]))}, nil
}

// newPingPong makes the page and starts role (spin or futex) on it.
func newPingPong(b *testing.B, role string) *pingPong {
	fd, err := unix.MemfdCreate("bench", unix.MFD_CLOEXEC)
	if err != nil {
		b.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "memfd")
	defer f.Close()
	if err := unix.Ftruncate(fd, 4096); err != nil {
		b.Fatal(err)
	}
	p, err := mapPingPong(fd)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Munmap(p.mem) })
	startHelper(b, role, "", f)
	return p
}

func futexWait(w *atomic.Uint32, v uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(w)), 0, uintptr(v), 0, 0, 0)
}

func futexWake(w *atomic.Uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(w)), 1, 1, 0, 0, 0)
}

// spinPeer answers every ping by busy-waiting on it.
func spinPeer(string) error {
	p, err := mapPingPong(3)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	for last := uint32(0); ; {
		if v := p.ping.Load(); v != last {
			p.pong.Store(v)
			last = v
		}
	}
}

// futexPeer answers every ping, sleeping on a futex in between.
func futexPeer(string) error {
	p, err := mapPingPong(3)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	for last := uint32(0); ; {
		v := p.ping.Load()
		if v == last {
			futexWait(p.ping, last)
			continue
		}
		p.pong.Store(v)
		futexWake(p.pong)
		last = v
	}
}

func benchBareSpin(b *testing.B) {
	p := newPingPong(b, "spin")
	i := uint32(0)
	measure(b, func() {
		i++
		p.ping.Store(i)
		for p.pong.Load() != i {
		}
	})
}

func benchBareFutex(b *testing.B, gap time.Duration) {
	p := newPingPong(b, "futex")
	i := uint32(0)
	pingPong := func() {
		i++
		p.ping.Store(i)
		futexWake(p.ping)
		for v := p.pong.Load(); v != i; v = p.pong.Load() {
			futexWait(p.pong, v)
		}
	}
	if gap == 0 {
		measure(b, pingPong)
		return
	}
	measureGaps(b, gap, pingPong)
}

// unixPeer serves Unix-socket connections at path with serve.
func unixPeer(path string, serve func(net.Conn) error) error {
	ln, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			serve(c)
		}()
	}
}

// echo64 answers every 64 bytes with them.
func echo64(c net.Conn) error {
	buf := make([]byte, 64)
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
		if _, err := c.Write(buf); err != nil {
			return err
		}
	}
}

// sink reads until EOF, then answers with the byte count.
func sink(c net.Conn) error {
	n, err := io.CopyBuffer(io.Discard, c, make([]byte, 64<<10))
	if err != nil {
		return err
	}
	_, err = c.Write(binary.LittleEndian.AppendUint64(nil, uint64(n)))
	return err
}

// dialUnixPeer starts role and connects to it.
func dialUnixPeer(b *testing.B, role string) *net.UnixConn {
	path := shortPath(b, "raw.sock")
	startHelper(b, role, path)
	c, err := net.Dial("unix", path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c.(*net.UnixConn)
}

func benchRawUnixRTT(b *testing.B) {
	c := dialUnixPeer(b, "unix-echo")
	buf := make([]byte, 64)
	measure(b, func() {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	})
}

func benchRawUnixStream(b *testing.B, size int) {
	c := dialUnixPeer(b, "unix-sink")
	buf := make([]byte, size)
	write := func() {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	stream(b, size, write, func() {
		c.CloseWrite()
		var ack [8]byte
		if _, err := io.ReadFull(c, ack[:]); err != nil {
			b.Fatal(err)
		}
		if got := binary.LittleEndian.Uint64(ack[:]); got != uint64(b.N*size) {
			b.Fatal(errors.New("sink got the wrong count"), got)
		}
	})
}

func benchCopy(b *testing.B, size int) {
	src, dst := make([]byte, size), make([]byte, size)
	stream(b, size, func() { copy(dst, src) }, func() {})
}
