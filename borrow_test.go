package postbox_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/postbox-ipc/postbox"
)

// Over transports without shared memory, Borrow gives ordinary memory and
// the message is copied as any other.
func TestBorrowWithoutSharedMemory(t *testing.T) {
	for _, scheme := range []string{"inproc", postbox.DefaultScheme} {
		t.Run(scheme, func(t *testing.T) {
			h := postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
				b := postbox.Borrow(ctx, len(m.Data))
				copy(b, m.Data)
				return postbox.Reply{Data: b}, nil
			})
			ep, err := postbox.Listen(scheme+":borrow-plain", h)
			if err != nil {
				t.Fatal(err)
			}
			defer ep.Close()
			c, err := postbox.Dial(context.Background(), scheme+":borrow-plain")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			b := c.Borrow(1000)
			if len(b) != 1000 {
				t.Fatalf("Borrow(1000) gave %d bytes", len(b))
			}
			copy(b, "hello")
			rep, err := c.Send(context.Background(), postbox.Message{Data: b})
			if err != nil || !bytes.HasPrefix(rep.Data, []byte("hello")) || len(rep.Data) != 1000 {
				t.Fatalf("Send = %q…, %v", rep.Data[:min(5, len(rep.Data))], err)
			}
			c.Unborrow(c.Borrow(10)) // ordinary memory: nothing to give back
			if c.Borrow(0) != nil || postbox.Borrow(context.Background(), 0) != nil {
				t.Fatal("Borrow(0) must be nil")
			}
			if len(postbox.Borrow(context.Background(), 8)) != 8 {
				t.Fatal("Borrow outside a handler must give ordinary memory")
			}
		})
	}
}
