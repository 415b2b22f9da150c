package nats_test

import (
	"os"
	"testing"

	"github.com/postbox-ipc/postbox/driver/drivertest"
	"github.com/postbox-ipc/postbox/transport/nats"
	"github.com/postbox-ipc/postbox/transport/nats/internal/natstest"
)

// serverEnv passes the conformance server's address to the suite's child
// processes.
const serverEnv = "POSTBOX_NATS_CONFORMANCE_SERVER"

var target = drivertest.Target{
	Name:         "nats",
	Addr:         func(name string) string { return "nats://" + os.Getenv(serverEnv) + "/" + name },
	CrossProcess: true,
	Skip: map[string]string{
		"NameInUse": "NATS names are shared on purpose: replicas of one name form a queue group (TestReplicasShareTheLoad)",
		"SendsPastTheWindow": "the case sends 4 MiB messages and the NATS server carries at most its max_payload (1 MiB by default); " +
			"requests and answers over NATS are broker messages, not frames in one stream's credit window",
		// Reliability suite.
		"QuotaConns": "an endpoint on NATS has no connections to bound: its senders connect to the NATS server, whose own limits apply",
	},
	PeerDeathBound: 2 * nats.DefaultLiveness, // heartbeats every quarter of it; silence for a whole one
}

func TestConformance(t *testing.T) {
	s := natstest.Server(t)
	t.Setenv(serverEnv, natstest.HostPort(s))
	drivertest.Run(t, target)
}
