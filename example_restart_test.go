package postbox_test

import (
	"context"
	"fmt"
	"time"

	"github.com/postbox-ipc/postbox"
)

// A program whose work is serving an endpoint blocks on Done, as on
// http.Server's ListenAndServe, while another goroutine (a signal handler,
// here a timer) shuts it down.
func ExampleEndpoint_Done() {
	ep, err := postbox.Listen("example-done", postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{}, nil
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	time.AfterFunc(10*time.Millisecond, func() { ep.Shutdown(context.Background()) })
	<-ep.Done()
	fmt.Println("endpoint closed")
	// Output: endpoint closed
}

// With Redial, a Conn reaches the endpoint that took over its address: the
// message in flight as the old one went away fails, the next one goes to
// the new endpoint.
func ExampleDialer_redial() {
	answer := func(text string) postbox.Handler {
		return postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
			return postbox.Reply{Data: []byte(text)}, nil
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	old, _ := postbox.Listen("example-redial", answer("version 1"))
	c, err := postbox.Dial(ctx, "example-redial", postbox.WithDialRedial())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	rep, _ := c.Send(ctx, postbox.Message{})
	fmt.Println(string(rep.Data))

	old.Shutdown(ctx) // a new version takes the name
	next, _ := postbox.Listen("example-redial", answer("version 2"))
	defer next.Close()
	for range 2 { // the first may meet the old endpoint's refusal
		if rep, err := c.Send(ctx, postbox.Message{}); err == nil {
			fmt.Println(string(rep.Data))
			break
		}
	}
	// Output:
	// version 1
	// version 2
}
