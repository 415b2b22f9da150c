package nats_test

import (
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/driver/drivertest"
	"github.com/postbox-ipc/postbox/transport/nats"
	"github.com/postbox-ipc/postbox/transport/nats/internal/natstest"
)

// loadLiveness is the liveness period under the reliability suite's load.
// With the race detector, 64 clients and the NATS server in one 2-vCPU
// process, an endpoint's heartbeats were seen held up past the default
// second, and a live endpoint was declared dead. Liveness is a trade-off a
// deployment tunes (Transport.Liveness); the default one second is proved
// by TestReceiverDiesMidSend and the conformance suite.
const loadLiveness = 4 * time.Second

var loadTransport = &nats.Transport{Liveness: loadLiveness}

var loadTarget = func() drivertest.Target {
	tg := target
	tg.Name = "nats-load"
	tg.Configure = func(lc *postbox.ListenConfig) { lc.Transports = append(lc.Transports, loadTransport) }
	tg.Dialer = &postbox.Dialer{Transports: []postbox.Transport{loadTransport}}
	tg.PeerDeathBound = 2 * loadLiveness
	return tg
}()

func TestReliability(t *testing.T) {
	s := natstest.Server(t)
	t.Setenv(serverEnv, natstest.HostPort(s))
	drivertest.Reliability(t, loadTarget)
}
