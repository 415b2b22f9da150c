package tcp

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/postbox-ipc/postbox/internal/namespace"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// address is a parsed "host:port[/NAME]".
type address struct {
	hostport string
	host     string
	name     string // "" for whichever endpoint listens there
}

func parseAddr(addr string) (address, error) {
	hostport, name, _ := strings.Cut(addr, "/")
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return address{}, fmt.Errorf("%w: tcp://%s: want tcp://host:port or tcp://host:port/NAME: %v", transport.ErrBadAddress, addr, err)
	}
	if name != "" {
		if err := namespace.ValidName(name); err != nil {
			return address{}, err
		}
	}
	return address{hostport: hostport, host: host, name: name}, nil
}

// isLoopback reports whether host certainly means this machine: a loopback
// IP literal, or "localhost". Other names count as remote, so that what a
// resolver says can never turn TLS off.
func isLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
