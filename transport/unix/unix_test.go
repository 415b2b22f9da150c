package unix_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/conformance"
	"github.com/postbox-ipc/postbox/internal/reliability"
)

var target = conformance.Target{
	Name:         "unix",
	Addr:         func(name string) string { return "unix:" + name },
	CrossProcess: true,
	Raw: func(ctx context.Context, ep *postbox.Endpoint) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", strings.TrimPrefix(ep.Addrs()[0], "unix:"))
	},
}

func TestMain(m *testing.M) { reliability.Main(m, target) }

func TestConformance(t *testing.T) { conformance.Run(t, target) }
