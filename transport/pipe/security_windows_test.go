package pipe_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/winapi"
	"github.com/postbox-ipc/postbox/internal/wintest"
	"github.com/postbox-ipc/postbox/transport/pipe"
)

func selfSID(t *testing.T) string {
	t.Helper()
	sid, err := winapi.UserSID()
	if err != nil {
		t.Fatal(err)
	}
	return sid
}

// rawPipe creates a pipe instance at path the way any program could.
func rawPipe(t *testing.T, path string) {
	t.Helper()
	p, _ := windows.UTF16PtrFromString(path)
	h, err := windows.CreateNamedPipe(p, windows.PIPE_ACCESS_DUPLEX, windows.PIPE_TYPE_BYTE, 4, 4096, 4096, 0, nil)
	if err != nil {
		t.Fatalf("CreateNamedPipe(%s): %v", path, err)
	}
	t.Cleanup(func() { windows.CloseHandle(h) })
}

// The peer's PID and SID come from the kernel, across processes.
func TestPeerIdentityAcrossProcesses(t *testing.T) {
	from := make(chan postbox.Peer, 1)
	_, name := listen(t, func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		from <- m.From
		return postbox.Reply{Result: 7, Data: []byte("ok")}, nil
	})
	child := wintest.Start(t, "send", "pipe:"+name)
	if l := child.Line(t, 20*time.Second); l != "reply 7 ok" {
		t.Fatalf("child: %q", l)
	}
	child.Stop()
	p := <-from
	if p.PID != child.Cmd.Process.Pid || p.SID != selfSID(t) || p.Transport != "pipe" || p.UID != -1 {
		t.Fatalf("From = %+v, want pid %d, sid %s, transport pipe", p, child.Cmd.Process.Pid, selfSID(t))
	}
}

// A pipe that exists under the endpoint's name makes Listen fail loudly.
func TestSquatterFailsListen(t *testing.T) {
	name := wintest.Name(t)
	rawPipe(t, pipe.Path(selfSID(t), name))
	_, err := postbox.Listen(name, postbox.HandlerFunc(echo))
	if !errors.Is(err, postbox.ErrNameInUse) {
		t.Fatalf("Listen with a squatter on the pipe: %v, want ErrNameInUse", err)
	}
}

// FILE_FLAG_FIRST_PIPE_INSTANCE: while an endpoint listens, nobody can
// create its pipe afresh.
func TestFirstInstanceEnforced(t *testing.T) {
	wintest.SkipOnWine(t, "Wine 8.0 ignores FILE_FLAG_FIRST_PIPE_INSTANCE (a second \"first\" instance is created); Listen's existence check covers the common case there")
	_, name := listen(t, echo)
	p, _ := windows.UTF16PtrFromString(pipe.Path(selfSID(t), name))
	h, err := windows.CreateNamedPipe(p, windows.PIPE_ACCESS_DUPLEX|windows.FILE_FLAG_FIRST_PIPE_INSTANCE, windows.PIPE_TYPE_BYTE, 4, 4096, 4096, 0, nil)
	if err == nil {
		windows.CloseHandle(h)
		t.Fatal("a second first instance of a listening endpoint's pipe was created")
	}
	if !errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		t.Fatalf("CreateNamedPipe: %v, want ERROR_ACCESS_DENIED", err)
	}
}

// A client refuses a pipe whose owner is not the one its name says.
func TestClientChecksOwner(t *testing.T) {
	name := wintest.Name(t)
	path := pipe.Path(pipe.SystemOwner, name) // a system endpoint, made by us: a squatter
	rawPipe(t, path)
	_, err := postbox.Dial(ctxT(t), "pipe:"+path)
	if !errors.Is(err, postbox.ErrDenied) {
		t.Fatalf("Dial a system pipe owned by a user: %v, want ErrDenied", err)
	}
	path = pipe.Path("S-1-5-21-1-2-3-4242", name) // another user's, made by us
	rawPipe(t, path)
	if _, err := postbox.Dial(ctxT(t), "pipe:"+path); !errors.Is(err, postbox.ErrDenied) {
		t.Fatalf("Dial another user's pipe owned by us: %v, want ErrDenied", err)
	}
}

// The pipe's DACL admits the user and SYSTEM only, and its owner is the
// user.
func TestPipeSecurityDescriptor(t *testing.T) {
	_, name := listen(t, echo)
	p, _ := windows.UTF16PtrFromString(pipe.Path(selfSID(t), name))
	h, err := windows.CreateFile(p, windows.GENERIC_READ, 0, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		t.Fatalf("open the pipe: %v", err)
	}
	defer windows.CloseHandle(h)
	sd, err := windows.GetSecurityInfo(h, windows.SE_KERNEL_OBJECT, windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatalf("GetSecurityInfo: %v", err)
	}
	s := sd.String()
	t.Logf("security descriptor: %s", s)
	self := selfSID(t)
	if !strings.HasPrefix(s, "O:"+self) {
		t.Fatalf("owner: %s, want %s", s, self)
	}
	dacl := s[strings.Index(s, "D:"):]
	if !strings.HasPrefix(dacl, "D:P") || strings.Count(dacl, "(") != 2 ||
		!strings.Contains(dacl, ";;;"+self+")") || !strings.Contains(dacl, ";;;SY)") {
		t.Fatalf("DACL %s: want a protected DACL with exactly the user and SYSTEM", dacl)
	}
}

// PIPE_REJECT_REMOTE_CLIENTS: the pipe cannot be opened through the
// network redirector, even from this machine.
func TestRemoteClientRejected(t *testing.T) {
	wintest.SkipOnWine(t, "Wine 8.0 has no SMB redirector, so a pipe cannot be opened as a remote client (\\\\localhost\\pipe\\…)")
	_, name := listen(t, echo)
	host, _ := os.Hostname()
	path := `\\` + host + `\pipe\` + strings.TrimPrefix(pipe.Path(selfSID(t), name), `\\.\pipe\`)
	p, _ := windows.UTF16PtrFromString(path)
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE, 0, nil, windows.OPEN_EXISTING, 0, 0)
	if err == nil {
		windows.CloseHandle(h)
		t.Fatalf("a remote client opened %s", path)
	}
}

// Listing finds the endpoint with its pipe address, which dials.
func TestListShowsPipe(t *testing.T) {
	ep, name := listen(t, echo)
	eps, err := postbox.FindPID(ctxT(t), os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range eps {
		if e.Name != name {
			continue
		}
		if !strings.HasPrefix(e.Addr(), "pipe:") || strings.Join(e.Transports, " ") != strings.Join(ep.Addrs(), " ") {
			t.Fatalf("listed %+v, want the endpoint's addresses %v", e, ep.Addrs())
		}
		rep, err := postbox.Send(ctxT(t), e.Addr(), postbox.Message{ID: 1, Data: []byte("x")})
		if err != nil || rep.Result != int64(os.Getpid()) {
			t.Fatalf("Send to the listed address: %+v, %v", rep, err)
		}
		return
	}
	t.Fatalf("List did not show %s: %+v", name, eps)
}
