package tcp_test

import (
	"testing"

	"github.com/postbox-ipc/postbox/internal/reliability"
)

func TestReliability(t *testing.T) {
	t.Run("plain", func(t *testing.T) { reliability.Run(t, plainTarget) })
	t.Run("tls", func(t *testing.T) {
		sharedCerts() // before any child process starts
		// The same session under TLS: a quarter of the iterations keeps
		// the race-detector run short; the full level runs them all.
		tg := tlsTarget
		if reliability.CurrentLevel() == reliability.Quick {
			tg.Scale = 0.25
		}
		reliability.Run(t, tg)
	})
}
