package main

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/postbox-ipc/postbox"
)

// Message IDs the service answers.
const (
	idHello = postbox.CopyData
	idWork  = postbox.User + 1
	idNotes = postbox.User + 2
	idNote  = postbox.App
)

// newHandler is the service's window procedure.
func newHandler() postbox.Handler {
	var notes atomic.Int64
	mux := postbox.NewMux()
	mux.HandleFunc(idHello, func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Data: fmt.Appendf(nil, "hello %s, this is pid %d: %s", who(m.From), os.Getpid(), m.Data)}, nil
	})
	mux.HandleFunc(idWork, func(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
		d := time.Duration(min(max(m.W, 0), 60_000)) * time.Millisecond
		select {
		case <-time.After(d):
			return postbox.Reply{Result: m.W, Data: fmt.Appendf(nil, "worked %v in pid %d", d, os.Getpid())}, nil
		case <-ctx.Done():
			return postbox.Reply{}, ctx.Err()
		}
	})
	mux.HandleFunc(idNote, func(context.Context, *postbox.Message) (postbox.Reply, error) {
		notes.Add(1)
		return postbox.Reply{}, nil
	})
	mux.HandleFunc(idNotes, func(context.Context, *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Result: notes.Load()}, nil
	})
	return mux
}

// who names the sender: its user from the kernel's credentials.
func who(p postbox.Peer) string {
	if p.SID != "" {
		return p.SID
	}
	if u, err := user.LookupId(strconv.Itoa(p.UID)); err == nil {
		return fmt.Sprintf("%s (uid %d)", u.Username, p.UID)
	}
	return fmt.Sprintf("uid %d", p.UID)
}
