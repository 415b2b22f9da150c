package pipe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"golang.org/x/sys/windows"

	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/session"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/winapi"
)

// dial connects to the endpoint at addr, checks that its pipe belongs to
// the right owner, and runs the handshake.
func dial(ctx context.Context, addr string, cfg *driver.DialConfig) (transport.Conn, error) {
	path, owner, name, err := resolve(addr, cfg.System)
	if err != nil {
		return nil, err
	}
	h, err := open(ctx, path, driver.HandshakeOr(cfg.HandshakeTimeout))
	if err != nil {
		return nil, dialErr(ctx, addr, err)
	}
	peer, err := serverPeer(h, owner)
	if err != nil {
		windows.CloseHandle(h)
		return nil, err
	}
	peer.Addr = path
	c, err := newConn(h, path)
	if err != nil {
		return nil, err
	}
	return session.Dial(ctx, c, name, peer, cfg)
}

// dialPipe opens path as a raw stream, waiting for a free instance until
// ctx ends.
func dialPipe(ctx context.Context, path string) (net.Conn, error) {
	h, err := open(ctx, path, time.Until(deadlineOr(ctx, time.Hour)))
	if err != nil {
		return nil, dialErr(ctx, path, err)
	}
	return newConn(h, path)
}

func deadlineOr(ctx context.Context, d time.Duration) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl
	}
	return time.Now().Add(d)
}

// serverPeer identifies the server: its process, and the owner of its
// pipe, which must be owner.
func serverPeer(h windows.Handle, owner string) (transport.Peer, error) {
	p := transport.UnknownPeer(Scheme)
	sid, err := checkServer(h, owner)
	if err != nil {
		return p, err
	}
	p.SID = sid
	var pid uint32
	if windows.GetNamedPipeServerProcessId(h, &pid) == nil {
		p.PID = int(pid)
	}
	return p, nil
}

// open opens the pipe as a client at identification level, waiting up to
// busyWait (and ctx) while every instance is busy.
func open(ctx context.Context, path string, busyWait time.Duration) (windows.Handle, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return windows.InvalidHandle, err
	}
	giveUp := time.Now().Add(busyWait)
	for {
		h, err := windows.CreateFile(p, clientAccess, 0, nil, windows.OPEN_EXISTING,
			windows.FILE_FLAG_OVERLAPPED|windows.SECURITY_SQOS_PRESENT|windows.SECURITY_IDENTIFICATION, 0)
		if !errors.Is(err, windows.ERROR_PIPE_BUSY) {
			return h, err
		}
		if ctx.Err() != nil {
			return windows.InvalidHandle, transport.CtxErr(ctx)
		}
		if time.Now().After(giveUp) {
			return windows.InvalidHandle, fmt.Errorf("%w: every instance of the pipe stayed busy for %v", transport.ErrLimit, busyWait)
		}
		if winapi.WaitNamedPipe(p, 20) != nil {
			time.Sleep(5 * time.Millisecond) // gone or still busy: try again
		}
	}
}

func dialErr(ctx context.Context, addr string, err error) error {
	switch {
	case ctx.Err() != nil:
		return transport.CtxErr(ctx)
	case errors.Is(err, windows.ERROR_FILE_NOT_FOUND), errors.Is(err, windows.ERROR_PATH_NOT_FOUND):
		return fmt.Errorf("%w: %s", transport.ErrNoEndpoint, addr)
	case errors.Is(err, windows.ERROR_ACCESS_DENIED):
		return fmt.Errorf("%w: %s: %v", transport.ErrDenied, addr, err)
	case errors.Is(err, transport.ErrLimit), errors.Is(err, transport.ErrTimeout), errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", addr, err)
	}
	return fmt.Errorf("dial %s: %w", addr, err)
}
