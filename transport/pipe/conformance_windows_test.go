package pipe_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/conformance"
	"github.com/postbox-ipc/postbox/internal/wintest"
	"github.com/postbox-ipc/postbox/transport/pipe"
)

var target = conformance.Target{
	Name:         "pipe",
	Addr:         func(name string) string { return "pipe:" + name },
	CrossProcess: true,
	Scale:        scale(),
	Raw: func(ctx context.Context, ep *postbox.Endpoint) (net.Conn, error) {
		return pipe.DialPipe(ctx, strings.TrimPrefix(ep.Addrs()[0], "pipe:"))
	},
}

func TestConformance(t *testing.T) { conformance.Run(t, target) }

// scale keeps the load tests' size down under Wine, whose pipes take
// milliseconds per round trip (see docs/WINDOWS.md): it is correctness
// that is tested there, not speed.
func scale() float64 {
	if wintest.IsWine() {
		return 0.25
	}
	return 1
}
