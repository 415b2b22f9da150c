package pipe

import (
	"fmt"
	"net"
	"runtime"

	"golang.org/x/sys/windows"

	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/winapi"
)

// peerOf identifies the client of a server-side pipe from the kernel: its
// process ID and its user SID. The session calls it after reading the
// client's Hello, as impersonation requires.
func peerOf(c net.Conn) (transport.Peer, error) {
	p := transport.UnknownPeer(Scheme)
	pc, ok := c.(*conn)
	if !ok {
		return p, fmt.Errorf("%T is not a named pipe", c)
	}
	p.Addr = pc.path
	var pid uint32
	if err := windows.GetNamedPipeClientProcessId(pc.h, &pid); err != nil {
		return p, fmt.Errorf("client process: %w", err)
	}
	p.PID = int(pid)
	sid, groups, err := clientSID(pc.h)
	if err != nil {
		return p, fmt.Errorf("client user: %w", err)
	}
	p.SID, p.GroupSIDs = sid, groups
	return p, nil
}

// clientSID reads the client's user SID and enabled groups by
// impersonating it (at the identification level the client allows) on a
// dedicated OS thread. If the thread cannot revert to the process's own
// identity, it is left locked so the runtime ends it rather than run other
// code as the client.
func clientSID(h windows.Handle) (string, []string, error) {
	type result struct {
		sid    string
		groups []string
		err    error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		sid, groups, err := impersonatedSID(h)
		if rerr := windows.RevertToSelf(); rerr != nil {
			ch <- result{"", nil, fmt.Errorf("revert to self: %w", rerr)}
			return // the locked thread dies with this goroutine
		}
		runtime.UnlockOSThread()
		ch <- result{sid, groups, err}
	}()
	r := <-ch
	return r.sid, r.groups, r.err
}

// impersonatedSID impersonates the pipe's client and reads its token's
// user and the groups enabled in it (a deny-only group, such as
// Administrators in a token UAC filtered, does not count). The caller
// reverts.
func impersonatedSID(h windows.Handle) (string, []string, error) {
	if err := winapi.ImpersonateNamedPipeClient(h); err != nil {
		return "", nil, fmt.Errorf("impersonate: %w", err)
	}
	var tok windows.Token
	if err := windows.OpenThreadToken(windows.CurrentThread(), windows.TOKEN_QUERY, true, &tok); err != nil {
		return "", nil, fmt.Errorf("thread token: %w", err)
	}
	defer tok.Close()
	u, err := tok.GetTokenUser()
	if err != nil {
		return "", nil, fmt.Errorf("token user: %w", err)
	}
	var groups []string
	if tg, err := tok.GetTokenGroups(); err == nil {
		for _, g := range tg.AllGroups() {
			if g.Attributes&windows.SE_GROUP_ENABLED != 0 && g.Attributes&windows.SE_GROUP_USE_FOR_DENY_ONLY == 0 {
				groups = append(groups, g.Sid.String())
			}
		}
	}
	return u.User.Sid.String(), groups, nil
}
