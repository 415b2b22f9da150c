package shm_test

import (
	"context"
	"net"
	"runtime"
	"strings"
	"testing"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/conformance"
	"github.com/postbox-ipc/postbox/internal/reliability"
)

var target = conformance.Target{
	Name:         "shm",
	Addr:         func(name string) string { return "shm:" + name },
	CrossProcess: true,
	Raw: func(ctx context.Context, ep *postbox.Endpoint) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, "unix", socketPath(ep))
		if err != nil {
			return nil, err
		}
		return newRawShm(c.(*net.UnixConn)), nil
	},
	RawHandshake: func(ctx context.Context, ep *postbox.Endpoint) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", socketPath(ep))
	},
}

// socketPath is the endpoint's socket, from its shm address.
func socketPath(ep *postbox.Endpoint) string {
	for _, a := range ep.Addrs() {
		if p, ok := strings.CutPrefix(a, "shm:"); ok {
			return p
		}
	}
	return ""
}

func TestMain(m *testing.M) {
	if runChild() {
		return
	}
	reliability.Main(m, target)
}

func TestConformance(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("shared memory is implemented on Linux only")
	}
	conformance.Run(t, target)
}
