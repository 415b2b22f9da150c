package nats_test

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	gonats "github.com/nats-io/nats.go"

	"github.com/postbox-ipc/postbox"
	pbnats "github.com/postbox-ipc/postbox/transport/nats"
)

// startServer runs a NATS server for the examples, as a real deployment
// would run nats-server.
func startServer() *server.Server {
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	if err != nil {
		panic(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		panic("nats-server did not start")
	}
	return s
}

// An endpoint on NATS, reached by a Postbox client and by a plain NATS
// request (what "nats request postbox.viewer hello" does).
func Example() {
	s := startServer()
	defer s.Shutdown()
	nats := "nats://" + s.Addr().String()

	ep, err := postbox.Listen(nats+"/viewer", postbox.HandlerFunc(
		func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
			return postbox.Reply{Result: int64(m.ID), Data: []byte("chart for " + string(m.Data))}, nil
		}))
	if err != nil {
		panic(err)
	}
	defer ep.Close()

	ctx := context.Background()
	rep, err := postbox.Send(ctx, nats+"/viewer", postbox.Message{ID: postbox.User + 1, Data: []byte("mrn 456")})
	fmt.Printf("%s (result %#x) %v\n", rep.Data, rep.Result, err)

	nc, err := gonats.Connect(nats)
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	msg, err := nc.Request("postbox.viewer", []byte("mrn 789"), 5*time.Second)
	fmt.Printf("%s %v\n", msg.Data, err)
	// Output:
	// chart for mrn 456 (result 0x401) <nil>
	// chart for mrn 789 <nil>
}

// Broadcast asks every endpoint behind a server, one result each.
func ExampleBroadcast() {
	s := startServer()
	defer s.Shutdown()
	nats := "nats://" + s.Addr().String()
	for _, name := range []string{"alpha", "beta"} {
		ep, err := postbox.Listen(nats+"/"+name, postbox.HandlerFunc(
			func(context.Context, *postbox.Message) (postbox.Reply, error) {
				return postbox.Reply{Data: []byte(name + " here")}, nil
			}))
		if err != nil {
			panic(err)
		}
		defer ep.Close()
	}
	results, err := pbnats.Broadcast(context.Background(), nats, postbox.Message{ID: postbox.App})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(results), "endpoints answered")
	// Output: 2 endpoints answered
}
