//go:build !linux

package bench

import (
	"context"
	"errors"
	"fmt"
)

// shmCase is Linux-only: it needs futex.
func shmCase(name string, _ bool, note string) Case {
	return Case{
		Name: name, Group: GroupBaseline, Note: note, SendOnly: true, SingleCaller: true,
		Serve: func(context.Context, Params) (Server, error) {
			return nil, fmt.Errorf("bench: %s baseline: %w on this OS", name, errors.ErrUnsupported)
		},
		Dial: func(context.Context, Params, string) (Client, error) {
			return nil, fmt.Errorf("bench: %s baseline: %w on this OS", name, errors.ErrUnsupported)
		},
	}
}
