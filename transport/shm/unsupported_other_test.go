//go:build !linux

package shm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/postbox-ipc/postbox"
)

// TestUnsupported: where shared memory is not implemented, Listen and Dial
// say so with an error matching errors.ErrUnsupported.
func TestUnsupported(t *testing.T) {
	_, err := postbox.Listen("shm:nope", postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{}, nil
	}))
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Listen on shm: %v, want errors.ErrUnsupported", err)
	}
	if _, err := postbox.Dial(context.Background(), "shm:nope"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Dial on shm: %v, want errors.ErrUnsupported", err)
	}
}
