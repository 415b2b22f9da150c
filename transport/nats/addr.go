package nats

import (
	"context"
	"errors"
	"fmt"
	"github.com/postbox-ipc/postbox/driver"
	"strings"
	"time"

	gonats "github.com/nats-io/nats.go"
)

// address is a parsed "servers/NAME".
type address struct {
	servers string // comma-separated NATS URLs
	display string // the servers as written, for Addr
	name    string
}

// parseAddr parses "host:port/NAME" (or "h1:4222,h2:4222/NAME", with
// optional "user:pass@" per server). With needName the NAME is required.
func parseAddr(addr string, needName bool) (address, error) {
	servers, name := addr, ""
	if i := strings.LastIndexByte(addr, '/'); i >= 0 {
		servers, name = addr[:i], addr[i+1:]
	}
	if servers == "" {
		return address{}, fmt.Errorf("%w: nats://%s: want nats://host:port/NAME", driver.ErrBadAddress, addr)
	}
	if needName || name != "" {
		if err := validName(name); err != nil {
			return address{}, err
		}
	}
	var urls []string
	for _, s := range strings.Split(servers, ",") {
		if s == "" {
			return address{}, fmt.Errorf("%w: nats://%s: empty server", driver.ErrBadAddress, addr)
		}
		urls = append(urls, "nats://"+s)
	}
	return address{servers: strings.Join(urls, ","), display: servers, name: name}, nil
}

// validName accepts what the core accepts (1 to 100 letters, digits and
// "._-@+", not starting with '.') that is also a valid run of subject
// tokens: no empty token.
func validName(name string) error {
	bad := name == "" || len(name) > 100 || name[0] == '.' || strings.HasSuffix(name, ".") || strings.Contains(name, "..")
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@+", r)
		bad = bad || !ok
	}
	if bad {
		return fmt.Errorf("%w: endpoint name %q: want 1-100 letters, digits or \"._-@+\", with no empty dot-separated part", driver.ErrBadAddress, name)
	}
	return nil
}

// Subjects of an endpoint. A Postbox name never contains '$', so these
// cannot collide with an endpoint's own subject.
func (t *Transport) subject(name string) string { return t.prefix() + "." + name }
func (t *Transport) instSubject(id string) string {
	return t.prefix() + ".$inst." + id
}
func (t *Transport) allSubject() string { return t.prefix() + ".$all" }
func (t *Transport) durableSubject(name string) string {
	return t.prefix() + ".$durable." + name
}

// connect opens a NATS connection for a.servers, bounded by ctx.
func (t *Transport) connect(ctx context.Context, a address, role string) (*gonats.Conn, error) {
	opts := []gonats.Option{gonats.Name("postbox " + role)}
	if dl, ok := ctx.Deadline(); ok {
		opts = append(opts, gonats.Timeout(max(time.Until(dl), time.Millisecond)))
	}
	opts = append(opts, t.Options...)
	opts = append(opts, gonats.ReconnectBufSize(-1))
	nc, err := gonats.Connect(a.servers, opts...)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxErr(ctx)
		}
		if errors.Is(err, gonats.ErrNoServers) {
			return nil, fmt.Errorf("%w: no NATS server at %s: %v", driver.ErrNoEndpoint, a.display, err)
		}
		return nil, fmt.Errorf("connect to NATS at %s: %w", a.display, err)
	}
	if !nc.HeadersSupported() {
		nc.Close()
		return nil, fmt.Errorf("%w: the NATS server at %s does not support headers", driver.ErrProtocol, a.display)
	}
	return nc, nil
}

func ctxErr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return driver.ErrTimeout
	}
	return ctx.Err()
}
