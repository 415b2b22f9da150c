package peers

import "github.com/postbox-ipc/postbox/internal/bench"

// extra collects cases that build only in some configurations.
var extra []bench.Case

func init() {
	bench.Register(shmipcCase(), grpcCase(), netRPCCase(), mangosCase(), natsCase())
	bench.Register(extra...)
}
