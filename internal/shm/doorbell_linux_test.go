package shm

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestParkedReaderWakes: a reader asleep beyond parkAfter parks on its
// bell, and the peer's write wakes it through the socket.
func TestParkedReaderWakes(t *testing.T) {
	c, e := pair(t, MinRingSize)
	got := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 16)
		n, _ := e.Read(buf)
		got <- buf[:n]
	}()
	deadline := time.Now().Add(10 * time.Second)
	for e.rd.word.Load() != parked {
		if time.Now().After(deadline) {
			t.Fatal("an idle reader never parked")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := c.Write([]byte("ding")); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if !bytes.Equal(b, []byte("ding")) {
			t.Fatalf("parked reader read %q", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a parked reader was not woken by the peer's write")
	}
}

// TestParkedWriterWakes: the same for a writer waiting for room.
func TestParkedWriterWakes(t *testing.T) {
	c, e := pair(t, MinRingSize)
	done := make(chan error, 1)
	go func() {
		_, err := c.Write(make([]byte, MinRingSize+10))
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for c.wr.word.Load() != parked {
		if time.Now().After(deadline) {
			t.Fatal("a writer waiting for room never parked")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := e.Read(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a parked writer was not woken when room was made")
	}
}

// TestIdleConnectionsHoldNoThreads: many idle readers park, so the
// process does not keep a thread per connection.
func TestIdleConnectionsHoldNoThreads(t *testing.T) {
	const n = 200
	before := threads(t)
	var ends []*Conn
	for range n {
		_, e := pair(t, MinRingSize)
		ends = append(ends, e)
		go e.Read(make([]byte, 1)) // returns when the pair closes at cleanup
	}
	deadline := time.Now().Add(10 * time.Second)
	for parkedCount(ends) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d idle readers parked", parkedCount(ends), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	after := threads(t)
	t.Logf("%d idle readers: threads %d → %d", n, before, after)
	if after-before > int(futexSlots.limit)+16 {
		t.Fatalf("%d idle readers hold %d more threads", n, after-before)
	}
}

func parkedCount(ends []*Conn) int {
	k := 0
	for _, e := range ends {
		if e.rd.word.Load() == parked {
			k++
		}
	}
	return k
}

// threads is this process's OS thread count.
func threads(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	t.Fatal("no thread count in /proc/self/status")
	return 0
}
