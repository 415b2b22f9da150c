// Package tcp is the Postbox transport across hosts: "tcp://host:port"
// carries the same frames, with the same semantics, as "unix:" (see
// docs/PROTOCOL.md), over TCP and, on anything but loopback, TLS 1.3.
//
// An endpoint becomes reachable over TCP by listing an address in
// ListenConfig.Also ("tcp://0.0.0.0:7000"), or by listening on
// "tcp://host:port/NAME" alone. A client dials "tcp://host:port" (whatever
// endpoint listens there) or "tcp://host:port/NAME" (that endpoint, or
// ErrNoEndpoint).
//
// Security. A listener on a non-loopback address must use TLS and
// authenticate its peers, with client certificates or a shared token, or
// Listen fails with ErrInsecure. A dialer always uses TLS to a non-loopback
// host. The authenticated identity — the client certificate's subject, or
// "token" — is the sender's Peer.Identity, which the default access policy
// requires of peers without kernel credentials. On Linux a loopback peer's
// user ID comes from the kernel's socket table, so same-user loopback
// clients are admitted as on a Unix socket. Anything that is not a Postbox
// peer (an HTTP request, random bytes, a failed TLS handshake) is refused at
// the handshake and its connection closed at once.
//
// The zero Transport is registered under "tcp": plain TCP on loopback, TLS
// with the system's roots elsewhere. Configure TLS and tokens by giving an
// endpoint or dialer its own *Transport (postbox.WithTransport,
// postbox.WithDialTransport).
package tcp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/session"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// Scheme is this transport's address prefix.
const Scheme = "tcp"

// ErrInsecure reports a listener on a non-loopback address without TLS and
// peer authentication.
var ErrInsecure = errors.New("tcp: a non-loopback listener needs TLS and client authentication (client certificates or a token)")

func init() { driver.Register(&Transport{}) }

// Transport carries Postbox connections over TCP. The zero value is ready
// to use; its fields apply to both listening and dialing. A Transport must
// not be modified after first use; it is safe for concurrent use.
type Transport struct {
	// TLS turns TLS on; TLS 1.3 is required whatever MinVersion says.
	// A listener needs Certificates (or GetCertificate); set ClientAuth
	// to tls.RequireAndVerifyClientCert with ClientCAs to authenticate
	// clients by certificate. A dialer verifies the server with RootCAs
	// (nil: the system's) and presents Certificates when the server asks.
	// Nil means plain TCP on loopback and, for a dialer, TLS with the
	// system's roots to any other host.
	TLS *tls.Config
	// Token is a shared secret of at most 1,024 bytes. A listener with a
	// Token admits only clients that present it; a dialer presents it.
	// It is sent only over TLS or loopback.
	Token string
}

var (
	_ driver.Transport = (*Transport)(nil)
	_ driver.Remote    = (*Transport)(nil)
)

// Scheme implements driver.Transport.
func (*Transport) Scheme() string { return Scheme }

// EndpointName implements driver.Remote: the NAME of "host:port/NAME".
func (*Transport) EndpointName(addr string) (string, error) {
	a, err := parseAddr(addr)
	if err != nil {
		return "", err
	}
	if a.name == "" {
		return "", fmt.Errorf("%w: tcp://%s: listening on TCP alone needs an endpoint name (tcp://host:port/NAME), or list the address in ListenConfig.Also", transport.ErrBadAddress, addr)
	}
	return a.name, nil
}

// Listen implements driver.Transport: addr is "host:port" or
// "host:port/NAME", where NAME must be the endpoint's.
func (t *Transport) Listen(ctx context.Context, addr string, loop *dispatch.Loop, cfg *driver.ListenConfig) (driver.Listener, error) {
	a, err := parseAddr(addr)
	if err != nil {
		return nil, err
	}
	if a.name != "" && a.name != cfg.Name {
		return nil, fmt.Errorf("%w: tcp://%s names %q, but the endpoint is %q", transport.ErrBadAddress, addr, a.name, cfg.Name)
	}
	tc, err := t.serverTLS(isLoopback(a.host))
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", a.hostport)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("%w: tcp://%s: %v", transport.ErrNameInUse, a.hostport, err)
		}
		return nil, fmt.Errorf("listen tcp://%s: %w", a.hostport, err)
	}
	bound := ln.Addr().String()
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	c := *cfg
	c.Upgrade = nil // a peer on another host cannot share memory
	srv := session.Serve(ln, loop, &c, t.peerOf)
	return &listener{srv: srv, addr: Scheme + "://" + bound + "/" + cfg.Name}, nil
}

type listener struct {
	srv  *session.Server
	addr string
}

func (l *listener) Addr() string { return l.addr }

func (l *listener) Close() error { return l.srv.Close() }

// Dial implements driver.Transport: addr is "host:port" or "host:port/NAME".
func (t *Transport) Dial(ctx context.Context, addr string, cfg *driver.DialConfig) (transport.Conn, error) {
	a, err := parseAddr(addr)
	if err != nil {
		return nil, err
	}
	auth, err := authBlock(t.Token)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", a.hostport)
	if err != nil {
		return nil, dialErr(ctx, addr, err)
	}
	peer := transport.UnknownPeer(Scheme)
	peer.Addr = raw.RemoteAddr().String()
	if uid, err := loopbackUID(raw.RemoteAddr(), raw.LocalAddr()); err == nil {
		peer.UID = uid
	}
	conn, err := t.clientTLS(ctx, raw, a.host, &peer)
	if err != nil {
		raw.Close()
		return nil, err
	}
	name := a.name
	if name == "" {
		name = session.AnyName
	}
	c, err := session.DialAuth(ctx, conn, name, auth, peer, cfg)
	if err != nil && conn == raw && errors.Is(err, transport.ErrPeerGone) {
		return nil, fmt.Errorf("%w (does the endpoint require TLS? configure tcp.Transport.TLS)", err)
	}
	if err != nil {
		return nil, tlsDenied(err)
	}
	return c, nil
}

func dialErr(ctx context.Context, addr string, err error) error {
	switch {
	case ctx.Err() != nil:
		return transport.CtxErr(ctx)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w: tcp://%s", transport.ErrNoEndpoint, addr)
	case errors.Is(err, syscall.ECONNRESET):
		// The listener went away while the connection was being set up
		// (its process died with the connection in its backlog).
		return fmt.Errorf("%w: tcp://%s: %v", transport.ErrNoEndpoint, addr, err)
	case errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return fmt.Errorf("%w: tcp://%s: %v", transport.ErrNoEndpoint, addr, err)
	}
	return fmt.Errorf("dial tcp://%s: %w", addr, err)
}
