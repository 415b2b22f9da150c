package postbox_test

import (
	"context"
	"fmt"
	"time"

	"github.com/postbox-ipc/postbox"
)

// Borrow lends a buffer in the memory a shared-memory connection shares
// with its endpoint: the message is built where the endpoint will read it,
// and Send carries only where it lies. With InPlace the handler reads it
// there too, for the duration of its call; its answer can travel the same
// way, in a buffer from postbox.Borrow.
func ExampleConn_Borrow() {
	scanner := postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		zeros := 0
		for _, b := range m.Data { // in place: valid until the handler returns
			if b == 0 {
				zeros++
			}
		}
		out := postbox.Borrow(ctx, 5)
		copy(out, "done.")
		return postbox.Reply{Result: int64(zeros), Data: out}, nil
	})
	ep, err := postbox.Listen("shm:example-scanner", scanner, postbox.WithInPlace())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ep.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := postbox.Dial(ctx, "shm:example-scanner")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	image := c.Borrow(4 << 20) // 4 MiB, filled in place
	for i := range image {
		image[i] = byte(i % 256)
	}
	rep, err := c.Send(ctx, postbox.Message{ID: postbox.User, Data: image}) // image is c's again
	fmt.Println(rep.Result, string(rep.Data), err)
	// Output: 16384 done. <nil>
}
