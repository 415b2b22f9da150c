package conformance

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/postbox-ipc/postbox"
)

var tests []test

func add(name string, fn func(t *testing.T, s *suite)) bool {
	tests = append(tests, test{name, fn})
	return true
}

// echo answers W*10+L and "re:"+data.
var echo = postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
	return postbox.Reply{Result: m.W*10 + m.L, Data: append([]byte("re:"), m.Data...)}, nil
})

var _ = add("SendReply", func(t *testing.T, s *suite) {
	var from atomic.Pointer[postbox.Peer]
	h := postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		p := m.From
		from.Store(&p)
		return echo(ctx, m)
	})
	_, addr := s.listen(t, h)
	c := s.dial(t, addr)
	for _, data := range [][]byte{nil, []byte("hello"), bytes.Repeat([]byte{0, 0xff}, 40000)} {
		rep, err := c.Send(ctx(t), postbox.Message{ID: postbox.CopyData, W: 4, L: 2, Data: data})
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		if rep.Result != 42 || !bytes.Equal(rep.Data, append([]byte("re:"), data...)) {
			t.Fatalf("reply %d %q…, want 42 re:%q…", rep.Result, trunc(rep.Data), trunc(data))
		}
	}
	p := from.Load()
	if p.Transport == "" {
		t.Errorf("Message.From.Transport is empty")
	}
	if p.PID != os.Getpid() && p.PID != -1 {
		t.Errorf("Message.From.PID = %d, want %d (or -1 where the transport cannot know)", p.PID, os.Getpid())
	}
	if p.UID != os.Geteuid() && p.UID != -1 {
		t.Errorf("Message.From.UID = %d, want %d", p.UID, os.Geteuid())
	}
})

var _ = add("Ordering", func(t *testing.T, s *suite) {
	var mu sync.Mutex
	var got []int64
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		mu.Lock()
		got = append(got, m.W)
		mu.Unlock()
		return postbox.Reply{}, nil
	})
	ep, addr := s.listen(t, h)
	c := s.dial(t, addr)
	n := s.scale(4000)
	for i := range n {
		m := postbox.Message{ID: postbox.User, W: int64(i)}
		var err error
		if i%10 == 9 {
			_, err = c.Send(ctx(t), m)
		} else {
			err = c.Post(ctx(t), m)
		}
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if err := c.Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := ep.Shutdown(ctx(t)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != n {
		t.Fatalf("handled %d messages, want %d", len(got), n)
	}
	for i, w := range got {
		if w != int64(i) {
			t.Fatalf("message %d handled as number %d: out of order", w, i)
		}
	}
})

// checkedSend sends a message tagged with client and sequence numbers and
// verifies the reply belongs to it.
func checkedSend(ctx context.Context, c *postbox.Conn, client, seq int) error {
	data := fmt.Appendf(nil, "client %d seq %d", client, seq)
	rep, err := c.Send(ctx, postbox.Message{ID: postbox.CopyData, W: int64(client), L: int64(seq), Data: data})
	if err != nil {
		return fmt.Errorf("client %d seq %d: %w", client, seq, err)
	}
	if rep.Result != int64(client)*10+int64(seq) || !bytes.Equal(rep.Data, append([]byte("re:"), data...)) {
		return fmt.Errorf("client %d seq %d: got someone else's reply %d %q", client, seq, rep.Result, rep.Data)
	}
	return nil
}

var _ = add("ManyClients", func(t *testing.T, s *suite) {
	for _, conc := range []int{1, 4} {
		t.Run(fmt.Sprintf("concurrency=%d", conc), func(t *testing.T) {
			_, addr := s.listen(t, echo, func(lc *postbox.ListenConfig) { lc.Concurrency = conc })
			clients, sends := s.scale(64), s.scale(1000)
			errs := make(chan error, clients)
			var wg sync.WaitGroup
			for cl := range clients {
				c := s.dial(t, addr)
				wg.Go(func() {
					for seq := range sends {
						if err := checkedSend(ctx(t), c, cl, seq); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
})

var _ = add("ManySendsOneConn", func(t *testing.T, s *suite) {
	_, addr := s.listen(t, echo)
	c := s.dial(t, addr)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for g := range 32 {
		wg.Go(func() {
			for seq := range s.scale(200) {
				if err := checkedSend(ctx(t), c, g, seq); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
})

var _ = add("SendAsync", func(t *testing.T, s *suite) {
	_, addr := s.listen(t, echo)
	c := s.dial(t, addr)
	n := s.scale(500)
	var wg sync.WaitGroup
	var bad atomic.Int64
	for i := range n {
		wg.Add(1)
		want := fmt.Sprintf("re:%d", i)
		c.SendAsync(context.Background(), postbox.Message{W: int64(i), Data: fmt.Appendf(nil, "%d", i)}, func(rep postbox.Reply, err error) {
			defer wg.Done()
			if err != nil || rep.Result != int64(i)*10 || string(rep.Data) != want {
				bad.Add(1)
			}
		})
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d of %d async sends got a wrong answer", bad.Load(), n)
	}
})

func trunc(b []byte) []byte { return b[:min(len(b), 16)] }
