package nats_test

import (
	"testing"

	"github.com/postbox-ipc/postbox/driver/drivertest"
	"github.com/postbox-ipc/postbox/transport/nats/internal/natstest"
)

func TestReliability(t *testing.T) {
	s := natstest.Server(t)
	t.Setenv(serverEnv, natstest.HostPort(s))
	drivertest.Reliability(t, target)
}
