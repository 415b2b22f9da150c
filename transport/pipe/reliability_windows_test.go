package pipe_test

import (
	"testing"

	"github.com/postbox-ipc/postbox/internal/reliability"
)

func TestReliability(t *testing.T) { reliability.Run(t, target) }
