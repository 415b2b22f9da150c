// Package driver is the small interface every Postbox transport implements,
// and the registry that maps an address scheme ("unix", "inproc", …) to it.
package driver

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// Transport carries messages for one address scheme.
type Transport interface {
	// Scheme is the address prefix, e.g. "unix".
	Scheme() string
	// Listen makes an endpoint reachable at addr (the address without
	// its scheme: a name, or a transport-specific form) and feeds what
	// arrives to loop.
	Listen(ctx context.Context, addr string, loop *dispatch.Loop, cfg *ListenConfig) (Listener, error)
	// Dial connects to the endpoint at addr.
	Dial(ctx context.Context, addr string, cfg *DialConfig) (transport.Conn, error)
}

// Remote is implemented by transports whose endpoints are not names in the
// local namespace, such as "tcp" and "nats". Listening on one as an
// endpoint's main address claims no local name: EndpointName extracts the
// endpoint's name from the address (without its scheme), and Listen gets the
// whole address.
type Remote interface {
	EndpointName(addr string) (string, error)
}

// Listener is one endpoint's presence on one transport.
type Listener interface {
	// Addr is the full address clients dial, with its scheme.
	Addr() string
	// Close stops accepting, ends every connection and waits for their
	// goroutines. It is idempotent.
	Close() error
}

// Drainer is implemented by listeners that can shut down gracefully
// (Endpoint.Shutdown): Drain stops taking new connections, frees the
// endpoint's address for a successor, and tells open connections that no
// new messages will be accepted, while their pending ones are still
// answered. Close ends what is left. Drain is idempotent.
type Drainer interface {
	Drain() error
}

var (
	mu       sync.RWMutex
	registry = map[string]Transport{}
)

// Register makes t available under its scheme. It panics on a duplicate,
// like database/sql.Register.
func Register(t Transport) {
	mu.Lock()
	defer mu.Unlock()
	s := t.Scheme()
	if _, dup := registry[s]; dup {
		panic("postbox: transport registered twice: " + s)
	}
	registry[s] = t
}

// Lookup returns the transport for scheme.
func Lookup(scheme string) (Transport, error) {
	mu.RLock()
	defer mu.RUnlock()
	if t, ok := registry[scheme]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("%w: unknown transport %q (have %s)", transport.ErrBadAddress, scheme, strings.Join(schemesLocked(), ", "))
}

// Schemes lists the registered schemes, sorted.
func Schemes() []string {
	mu.RLock()
	defer mu.RUnlock()
	return schemesLocked()
}

func schemesLocked() []string {
	s := make([]string, 0, len(registry))
	for k := range registry {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}
