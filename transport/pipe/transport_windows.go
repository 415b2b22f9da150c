package pipe

import (
	"context"
	"fmt"
	"strings"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/namespace"
	"github.com/postbox-ipc/postbox/internal/session"
	"github.com/postbox-ipc/postbox/internal/winapi"
)

func init() { driver.Register(Transport{}) }

// listen serves the endpoint on its pipe. The name is already claimed in
// cfg.Namespace, so a pipe that exists anyway belongs to someone else.
func listen(_ context.Context, name string, loop *dispatch.Loop, cfg *driver.ListenConfig) (driver.Listener, error) {
	if err := namespace.ValidName(name); err != nil {
		return nil, err
	}
	system := cfg.Namespace != nil && cfg.Namespace.System
	owner, err := ownerFor(system)
	if err != nil {
		return nil, err
	}
	sa, err := securityAttributes(system, cfg.Shared, cfg.AllowSIDs)
	if err != nil {
		return nil, err
	}
	ln, err := newListener(Path(owner, name), sa)
	if err != nil {
		return nil, err
	}
	return &listener{srv: session.Serve(ln, loop, cfg, peerOf), ln: ln}, nil
}

// ownerFor is the owner part of pipe names in the user's or the system
// namespace.
func ownerFor(system bool) (string, error) {
	if system {
		return SystemOwner, nil
	}
	sid, err := winapi.UserSID()
	if err != nil {
		return "", fmt.Errorf("named pipe: current user: %w", err)
	}
	return sid, nil
}

// listener is an endpoint's presence on its pipe.
type listener struct {
	srv *session.Server
	ln  *pipeListener
}

func (l *listener) Addr() string { return Scheme + ":" + l.ln.path }

// Close ends the session server, then waits until every connection's pipe
// instance is released, so the name is free when Close returns.
func (l *listener) Close() error {
	err := l.srv.Close()
	l.ln.wait()
	return err
}

// resolve maps an address to its pipe path, the owner the pipe must have
// and the endpoint name.
func resolve(addr string, system bool) (path, owner, name string, err error) {
	if strings.HasPrefix(addr, `\\`) {
		owner, name, err = ParsePath(addr)
		return addr, owner, name, err
	}
	if err := namespace.ValidName(addr); err != nil {
		return "", "", "", err
	}
	owner, err = ownerFor(system)
	return Path(owner, addr), owner, addr, err
}
