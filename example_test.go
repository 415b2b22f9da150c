package postbox_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/postbox-ipc/postbox"
)

// The seed's scenario: a viewer endpoint receives the patient's context as
// WM_COPYDATA and answers.
func ExampleListen() {
	viewer := postbox.HandlerFunc(func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		fmt.Printf("viewer got message %#x: %s\n", m.ID, m.Data)
		return postbox.Reply{Result: 1, Data: []byte("chart opened")}, nil
	})
	ep, err := postbox.Listen("example-viewer", viewer)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ep.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rep, err := postbox.Send(ctx, "example-viewer", postbox.Message{
		ID:   postbox.CopyData,
		Data: []byte(`{"userCode":"dba","wardCode":123,"mrn":456}`),
	})
	fmt.Println(rep.Result, string(rep.Data), err)
	// Output:
	// viewer got message 0x4a: {"userCode":"dba","wardCode":123,"mrn":456}
	// 1 chart opened <nil>
}

// Send waits for the handler's reply, within the context's deadline.
func ExampleConn_Send() {
	ep, _ := postbox.Listen("example-adder", postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Result: m.W + m.L}, nil
	}))
	defer ep.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c, err := postbox.Dial(ctx, "example-adder")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	rep, err := c.Send(ctx, postbox.Message{ID: postbox.User + 1, W: 7, L: 42})
	fmt.Println(rep.Result, err)
	// Output: 49 <nil>
}

// Release gives a reply's buffer back, so a loop of large Sends reads each
// reply into the buffer of the one before instead of allocating: the same
// contract as a sync.Pool. Use what the reply holds first.
func ExampleReply_Release() {
	ep, _ := postbox.Listen("example-upper", postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Data: bytes.ToUpper(m.Data)}, nil
	}))
	defer ep.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c, err := postbox.Dial(ctx, "example-upper")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	for _, word := range []string{"patient", "context"} {
		rep, err := c.Send(ctx, postbox.Message{ID: postbox.CopyData, Data: []byte(word)})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(string(rep.Data))
		rep.Release() // rep.Data is not to be used after this
	}
	// Output:
	// PATIENT
	// CONTEXT
}

// Post carries data across processes without waiting for the handler;
// Flush confirms the receiver accepted everything posted.
func ExampleConn_Post() {
	got := make(chan string, 3)
	ep, _ := postbox.Listen("example-log", postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		got <- string(m.Data)
		return postbox.Reply{}, nil
	}))
	defer ep.Close()

	ctx := context.Background()
	c, _ := postbox.Dial(ctx, "example-log")
	for _, line := range []string{"one", "two", "three"} {
		if err := c.Post(ctx, postbox.Message{ID: postbox.User + 1, Data: []byte(line)}); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println("flush:", c.Flush(ctx))
	fmt.Println(<-got, <-got, <-got)
	c.Close()
	// Output:
	// flush: <nil>
	// one two three
}

// Broadcast asks every live endpoint, each under its own timeout.
func ExampleBroadcast() {
	for _, name := range []string{"example-a", "example-b"} {
		ep, _ := postbox.Listen(name, postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
			return postbox.Reply{Data: []byte("hello from " + name)}, nil
		}))
		defer ep.Close()
	}
	results, _ := postbox.Broadcast(context.Background(), postbox.Message{ID: postbox.App})
	for _, r := range results {
		fmt.Println(r.Endpoint.Name, string(r.Reply.Data), r.Err)
	}
	// Output:
	// example-a hello from example-a <nil>
	// example-b hello from example-b <nil>
}

// A Mux routes by message number, like the switch in a window procedure.
func ExampleMux() {
	mux := postbox.NewMux()
	mux.HandleFunc(postbox.CopyData, func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Data: m.Data}, nil
	})
	mux.HandleFunc(postbox.User+1, func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Result: m.W * m.L}, nil
	})
	rep, _ := mux.ServeMessage(context.Background(), &postbox.Message{ID: postbox.User + 1, W: 6, L: 7})
	fmt.Println(rep.Result)
	// Output: 42
}
