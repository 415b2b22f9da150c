package pipe_test

import (
	"context"
	"fmt"
	"time"

	"github.com/postbox-ipc/postbox"
)

// childHold listens as args[0] and blocks until killed.
func childHold(args []string) int {
	ep, err := postbox.Listen(args[0], postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{}, nil
	}))
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	defer ep.Close()
	fmt.Println("ready")
	select {}
}

// childSend dials args[0] and sends one message, printing the reply.
func childSend(args []string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep, err := postbox.Send(ctx, args[0], postbox.Message{ID: postbox.User + 1, Data: []byte("from child")})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Printf("reply %d %s\n", rep.Result, rep.Data)
	return 0
}
