package reliability

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// A slowloris flood: many connections each write a valid Hello a byte at a
// time, and each one the endpoint ends is dialled again at once, so the
// flood keeps its size and keeps arriving. MaxHandshakes (the oldest
// displaced) and HandshakeTimeout bound what it holds; an admitted client
// must be answered throughout, and new clients admitted.
var _ = add("SlowHelloFlood", func(t *testing.T, s *suite) {
	raw := s.rawBeforeHello(t, "trickle a Hello on")
	n := s.count(100, 500, 1000)
	dur := pick(s.level, 3*time.Second, 8*time.Second, 20*time.Second)
	const attempts = 3
	fg := s.record(t, "%s connections write a valid Hello a byte every 200 ms, each one the endpoint ends dialled again at once, for %v (default MaxHandshakes 64, HandshakeTimeout 5 s); an admitted client must be answered on every Send, and a new client admitted every 250 ms within %d attempts",
		count(n), dur, attempts)
	ep, addr := s.listen(t, postbox.HandlerFunc(echoHandler))
	good := s.dial(t, addr)
	hello := wire.AppendHello(nil, &wire.Hello{Version: wire.Version, PID: 1, MaxSize: 1 << 20, Name: ep.Name()})
	ctx, cancel := context.WithTimeout(testCtx(t), dur)
	defer cancel()
	dials := make(chan int, 1)
	go func() { dials <- slowloris(ctx, func() (net.Conn, error) { return raw(ctx, ep) }, n, hello) }()
	var answered, admitted, retries int
	newClient := time.NewTicker(250 * time.Millisecond)
	defer newClient.Stop()
	for ctx.Err() == nil {
		if _, err := good.Send(testCtx(t), postbox.Message{ID: idEcho}); err != nil {
			t.Fatalf("the admitted client during the flood: %v", err)
		}
		answered++
		select {
		case <-newClient.C:
			tries, err := admitOne(t, s, addr, attempts)
			if err != nil {
				t.Fatalf("a new client during the flood, %d attempts: %v", tries, err)
			}
			admitted++
			retries += tries - 1
		default:
		}
		time.Sleep(10 * time.Millisecond)
	}
	flood := <-dials
	st := ep.Stats()
	fg.result(t, 0, "%s slow connections dialled in all, %s displaced (Errors[busy]), %s handshakes ended unfinished (Errors[handshake]: displaced, timed out or closed); %d new clients admitted and answered (%d retries after ErrLimit), the admitted one answered %d times, every one right",
		count(flood), count(int(st.Errors["busy"])), count(int(st.Errors["handshake"])), admitted, retries, answered)
})

// admitOne dials a new client and has it answered, trying again (up to
// attempts in all) when the endpoint refuses it for a limit.
func admitOne(t *testing.T, s *suite, addr string, attempts int) (int, error) {
	var err error
	for try := 1; try <= attempts; try++ {
		var c *postbox.Conn
		if c, err = s.dialer().Dial(testCtx(t), addr); err == nil {
			_, err = c.Send(testCtx(t), postbox.Message{ID: idEcho})
			c.Close()
		}
		if !errors.Is(err, postbox.ErrLimit) {
			return try, err
		}
	}
	return attempts, err
}

// slowloris keeps n connections writing hello a byte every 200 ms (slower
// than HandshakeTimeout allows) until ctx ends, dialling again each one
// whose write fails, or that reached its last byte (never sent), and
// returns how many it dialled.
func slowloris(ctx context.Context, dial func() (net.Conn, error), n int, hello []byte) int {
	conns, sent := make([]net.Conn, n), make([]int, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	dialled := 0
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		for i := range conns {
			if conns[i] == nil {
				c, err := dial()
				if err != nil {
					continue // the backlog is full, or ctx ended: next tick
				}
				conns[i], sent[i] = c, 0
				dialled++
			}
			if sent[i] == len(hello)-1 { // never admitted: start again
				conns[i].Close()
				conns[i] = nil
				continue
			}
			conns[i].SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
			if _, err := conns[i].Write(hello[sent[i] : sent[i]+1]); err != nil {
				conns[i].Close()
				conns[i] = nil
				continue
			}
			sent[i]++
		}
		select {
		case <-ctx.Done():
			return dialled
		case <-tick.C:
		}
	}
}
