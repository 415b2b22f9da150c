package shm_test

import (
	"runtime"
	"testing"

	"github.com/postbox-ipc/postbox/internal/reliability"
)

func TestReliability(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("shared memory is implemented on Linux only")
	}
	reliability.Run(t, target)
}
