package shm_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// Death of either process is noticed through the socket that set the
// connection up: its close wakes whoever waits on the rings.

// deathBound is the bound the shm transport promises for noticing a kill -9.
const deathBound = 250 * time.Millisecond

// idBlock makes a helper endpoint's handler block forever.
const idBlock = postbox.User + 99

func init() {
	helpers["client"] = clientPeer
}

// clientPeer dials addr and sends a message whose handler blocks, after
// saying "sending".
func clientPeer(addr string) error {
	c, err := postbox.Dial(context.Background(), addr)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	fmt.Println("sending")
	_, err = c.Send(context.Background(), postbox.Message{ID: idBlock})
	return err
}

// privateNamespace gives the test its own XDG_RUNTIME_DIR, shared with
// the helpers it starts.
func privateNamespace(t *testing.T) {
	t.Helper()
	t.Setenv("XDG_RUNTIME_DIR", shortPath(t, ""))
}

func TestKilledEndpointNoticed(t *testing.T) {
	for _, state := range []string{"mid-send", "idle"} {
		t.Run(state, func(t *testing.T) {
			privateNamespace(t)
			p := startHelper(t, "endpoint", "shm:victim")
			c, err := postbox.Dial(context.Background(), "shm:victim")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Send(context.Background(), postbox.Message{}); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			var killed time.Time
			if state == "mid-send" {
				go func() {
					_, err := c.Send(context.Background(), postbox.Message{ID: idBlock})
					done <- err
				}()
				p.expect(t, "handling")
				killed = time.Now()
				p.kill()
			} else {
				time.Sleep(100 * time.Millisecond) // both ends asleep
				killed = time.Now()
				p.kill()
				go func() {
					_, err := c.Send(context.Background(), postbox.Message{})
					done <- err
				}()
			}
			select {
			case err := <-done:
				if !errors.Is(err, postbox.ErrPeerGone) {
					t.Fatalf("Send to a killed endpoint: %v, want ErrPeerGone", err)
				}
				t.Logf("ErrPeerGone %v after kill -9", time.Since(killed).Round(time.Microsecond))
			case <-time.After(deathBound + 100*time.Millisecond):
				t.Fatalf("Send still waiting %v after kill -9 of its endpoint", deathBound)
			}
		})
	}
}

func TestKilledClientNoticed(t *testing.T) {
	privateNamespace(t)
	started := make(chan struct{})
	ended := make(chan error, 1)
	h := postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		close(started)
		<-ctx.Done()
		ended <- context.Cause(ctx)
		return postbox.Reply{}, ctx.Err()
	})
	ep, err := postbox.Listen("unix:watcher", h)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	p := startHelper(t, "client", "shm:watcher")
	p.expect(t, "sending")
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the client's message never arrived")
	}
	killed := time.Now()
	p.kill()
	select {
	case cause := <-ended:
		if !errors.Is(cause, context.Canceled) {
			t.Fatalf("handler's context ended with %v, want context.Canceled", cause)
		}
		t.Logf("handler cancelled %v after kill -9 of its sender", time.Since(killed).Round(time.Microsecond))
	case <-time.After(deathBound):
		t.Fatalf("handler still running %v after kill -9 of its sender", deathBound)
	}
}
