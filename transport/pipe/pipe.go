package pipe

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/namespace"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// Scheme is this transport's address prefix.
const Scheme = "pipe"

// SystemOwner is the owner part of pipe names in the system-wide namespace.
const SystemOwner = "system"

// pathPrefix starts every Postbox pipe path.
const pathPrefix = `\\.\pipe\postbox.`

// Transport implements driver.Transport.
type Transport struct{}

// Scheme implements driver.Transport.
func (Transport) Scheme() string { return Scheme }

// Listen implements driver.Transport. The name must already be claimed in
// cfg.Namespace.
func (Transport) Listen(ctx context.Context, name string, loop *dispatch.Loop, cfg *driver.ListenConfig) (driver.Listener, error) {
	return listen(ctx, name, loop, cfg)
}

// Dial implements driver.Transport. addr is a name in the caller's
// namespace or a full pipe path.
func (Transport) Dial(ctx context.Context, addr string, cfg *driver.DialConfig) (transport.Conn, error) {
	return dial(ctx, addr, cfg)
}

// DialPipe opens the named pipe at path as a client — at identification
// level, waiting while every instance is busy until ctx ends — and returns
// it as a byte stream with deadlines, without Postbox's handshake.
func DialPipe(ctx context.Context, path string) (net.Conn, error) {
	return dialPipe(ctx, path)
}

// Path returns the pipe path of endpoint name whose namespace belongs to
// owner: a user's SID, or SystemOwner.
func Path(owner, name string) string { return pathPrefix + owner + "." + name }

// ParsePath splits a Postbox pipe path into its owner and endpoint name.
func ParsePath(path string) (owner, name string, err error) {
	rest, ok := cutPrefixFold(path, pathPrefix)
	if ok {
		owner, name, ok = strings.Cut(rest, ".")
	}
	if !ok || !validOwner(owner) {
		return "", "", fmt.Errorf("%w: %q is not a Postbox pipe (want %sOWNER.NAME)", transport.ErrBadAddress, path, pathPrefix)
	}
	return owner, name, namespace.ValidName(name)
}

// cutPrefixFold is strings.CutPrefix ignoring case, as pipe names do.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// validOwner accepts SystemOwner or a SID's text form.
func validOwner(owner string) bool {
	if owner == SystemOwner {
		return true
	}
	if !strings.HasPrefix(owner, "S-1-") || len(owner) > 200 {
		return false
	}
	for _, r := range owner[2:] {
		if (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}
