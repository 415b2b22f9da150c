package postbox_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/postbox-ipc/postbox"
)

// Stats counts what an endpoint did; WritePrometheus exports the same.
func ExampleEndpoint_Stats() {
	ep, _ := postbox.Listen("example-counted", postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		if m.ID == postbox.User {
			return postbox.Reply{}, errors.New("not today")
		}
		return postbox.Reply{Data: m.Data}, nil
	}))
	defer ep.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _ := postbox.Dial(ctx, "example-counted")
	defer c.Close()
	c.Post(ctx, postbox.Message{ID: postbox.App, Data: []byte("note")})
	c.Send(ctx, postbox.Message{ID: postbox.User})
	c.Send(ctx, postbox.Message{ID: postbox.CopyData, Data: []byte("hello")}) // handled after the two before it

	st := ep.Stats()
	fmt.Println("sends", st.Sends, "posts", st.Posts, "handled", st.Handled, "handler errors", st.Errors["handler"])
	fmt.Println("bytes in", st.BytesIn, "out", st.BytesOut, "connections", len(st.Conns))
	// Output:
	// sends 2 posts 1 handled 3 handler errors 1
	// bytes in 9 out 5 connections 1
}

// Shutdown stops taking new messages, finishes the accepted ones, and
// frees the name.
func ExampleEndpoint_Shutdown() {
	ep, _ := postbox.Listen("example-stopping", postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
		time.Sleep(50 * time.Millisecond)
		return postbox.Reply{Data: []byte("done")}, nil
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _ := postbox.Dial(ctx, "example-stopping")
	defer c.Close()
	answer := make(chan string, 1)
	c.SendAsync(context.Background(), postbox.Message{}, func(rep postbox.Reply, err error) { answer <- fmt.Sprint(string(rep.Data), " ", err) })
	for ep.Stats().Running == 0 {
		time.Sleep(time.Millisecond)
	}

	fmt.Println("shutdown:", ep.Shutdown(ctx)) // waits for the message in flight
	fmt.Println("answer:", <-answer)
	_, err := postbox.Dial(ctx, "example-stopping")
	fmt.Println("dial afterwards, no endpoint:", errors.Is(err, postbox.ErrNoEndpoint))
	// Output:
	// shutdown: <nil>
	// answer: done <nil>
	// dial afterwards, no endpoint: true
}

// A Spy sees every message the endpoint handles, like Spy++.
func ExampleConn_Spy() {
	ep, _ := postbox.Listen("example-spied", postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Result: 1}, nil
	}))
	defer ep.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	watcher, _ := postbox.Dial(ctx, "example-spied")
	defer watcher.Close()
	spy := watcher.Spy(postbox.SpyFilter{IDs: []uint32{postbox.CopyData}})
	spy.Next(ctx) // subscribes; nothing handled yet

	postbox.Send(ctx, "example-spied", postbox.Message{ID: postbox.CopyData, W: 7, Data: []byte(`{"mrn":456}`)})
	postbox.Send(ctx, "example-spied", postbox.Message{ID: postbox.User}) // filtered out
	recs, dropped, _ := spy.Next(ctx)
	for _, r := range recs {
		fmt.Printf("id=%#x w=%d %s from this process: %v, result %d\n", r.ID, r.W, r.Head, r.PID == os.Getpid(), r.Result)
	}
	fmt.Println("dropped:", dropped)
	// Output:
	// id=0x4a w=7 {"mrn":456} from this process: true, result 1
	// dropped: 0
}
