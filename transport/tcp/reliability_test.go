package tcp_test

import (
	"testing"

	"github.com/postbox-ipc/postbox/internal/reliability"
)

func TestReliability(t *testing.T) {
	t.Run("plain", func(t *testing.T) { reliability.Run(t, plainTarget) })
	t.Run("tls", func(t *testing.T) {
		sharedCerts() // before any child process starts
		reliability.Run(t, tlsTarget)
	})
}
