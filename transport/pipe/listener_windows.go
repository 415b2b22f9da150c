package pipe

import (
	"errors"
	"fmt"
	"net"
	"sync"

	"golang.org/x/sys/windows"

	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/winapi"
)

// bufSize is each pipe instance's buffer size, in each direction.
const bufSize = 64 << 10

// pipeListener serves one pipe name. It always keeps one instance waiting
// for a client: when a client connects, that instance becomes a conn and a
// fresh one takes its place, so the name is never free while it listens.
//
// It is written on x/sys/windows rather than go-winio's server, which
// misbehaves under Wine (see docs/WINDOWS.md); connected instances do
// their I/O through go-winio's completion port (see conn).
type pipeListener struct {
	path    string
	sa      *windows.SecurityAttributes
	ov      *windows.Overlapped // ConnectNamedPipe's; heap, so it never moves
	closeEv windows.Handle      // set by Close; ends a waiting Accept

	acceptMu sync.Mutex     // one Accept at a time
	closers  sync.WaitGroup // connections being released

	mu        sync.Mutex
	waiting   windows.Handle // the instance clients connect to next
	accepting bool           // Accept owns waiting for now
	closed    bool
}

var _ net.Listener = (*pipeListener)(nil)

// newListener creates the pipe's first instance. A pipe that already exists
// under path, Postbox's or anyone's, fails with ErrNameInUse.
func newListener(path string, sa *windows.SecurityAttributes) (*pipeListener, error) {
	if pipeExists(path) {
		return nil, fmt.Errorf("%w: the pipe %s already exists (another program serves it)", transport.ErrNameInUse, path)
	}
	h, err := createInstance(path, sa, true)
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_PIPE_BUSY) {
		return nil, fmt.Errorf("%w: the pipe %s already exists (another program serves it)", transport.ErrNameInUse, path)
	}
	if err != nil {
		return nil, fmt.Errorf("create pipe %s: %w", path, err)
	}
	l := &pipeListener{path: path, sa: sa, ov: new(windows.Overlapped), waiting: h}
	if l.ov.HEvent, err = windows.CreateEvent(nil, 1, 0, nil); err == nil {
		l.closeEv, err = windows.CreateEvent(nil, 1, 0, nil)
	}
	if err != nil {
		l.release()
		return nil, fmt.Errorf("create pipe %s: %w", path, err)
	}
	return l, nil
}

// pipeExists reports whether any server has an instance of the pipe, by
// waiting a millisecond for one to be free: it does not connect to it.
// FILE_FLAG_FIRST_PIPE_INSTANCE closes the race this leaves on Windows; it
// is the only check Wine, which ignores that flag, performs.
func pipeExists(path string) bool {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return false
	}
	err = winapi.WaitNamedPipe(p, 1)
	return err == nil || errors.Is(err, windows.ERROR_SEM_TIMEOUT)
}

// createInstance makes one instance of the pipe: byte stream, overlapped,
// local clients only; the first one also claims the name.
func createInstance(path string, sa *windows.SecurityAttributes, first bool) (windows.Handle, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return windows.InvalidHandle, err
	}
	flags := uint32(windows.PIPE_ACCESS_DUPLEX | windows.FILE_FLAG_OVERLAPPED)
	if first {
		flags |= windows.FILE_FLAG_FIRST_PIPE_INSTANCE
	}
	mode := uint32(windows.PIPE_TYPE_BYTE | windows.PIPE_READMODE_BYTE | windows.PIPE_WAIT | windows.PIPE_REJECT_REMOTE_CLIENTS)
	return windows.CreateNamedPipe(p, flags, mode, windows.PIPE_UNLIMITED_INSTANCES, bufSize, bufSize, 0, sa)
}

// Accept waits for a client and returns its connection.
func (l *pipeListener) Accept() (net.Conn, error) {
	l.acceptMu.Lock()
	defer l.acceptMu.Unlock()
	for {
		h, err := l.take()
		if err != nil {
			return nil, err
		}
		err = l.connect(h)
		if l.give(err) {
			l.release()
			return nil, net.ErrClosed
		}
		switch {
		case err == nil:
			l.replace()
			c, err := newServerConn(h, l.path, &l.closers)
			if err != nil {
				return nil, &net.OpError{Op: "accept", Net: Scheme, Addr: addr(l.path), Err: err}
			}
			return c, nil
		case errors.Is(err, windows.ERROR_NO_DATA):
			windows.DisconnectNamedPipe(h) // the client came and went
		default:
			windows.CloseHandle(h)
			return nil, &net.OpError{Op: "accept", Net: Scheme, Addr: addr(l.path), Err: err}
		}
	}
}

// take gives Accept the waiting instance, creating one if there is none.
func (l *pipeListener) take() (windows.Handle, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return windows.InvalidHandle, net.ErrClosed
	}
	if l.waiting == windows.InvalidHandle {
		h, err := createInstance(l.path, l.sa, false)
		if err != nil {
			return windows.InvalidHandle, &net.OpError{Op: "accept", Net: Scheme, Addr: addr(l.path), Err: err}
		}
		l.waiting = h
	}
	l.accepting = true
	return l.waiting, nil
}

// give ends Accept's hold on the waiting instance after ConnectNamedPipe
// returned err, and reports whether the listener was closed meanwhile
// (Accept then releases everything). A connected instance now belongs to
// Accept, a failed one is dropped; one whose client left stays waiting.
func (l *pipeListener) give(err error) (closed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.accepting = false
	if l.closed {
		return true
	}
	if !errors.Is(err, windows.ERROR_NO_DATA) {
		l.waiting = windows.InvalidHandle
	}
	return false
}

// replace creates the instance that waits in place of the one that
// connected. If that fails, the next Accept retries and reports the error.
func (l *pipeListener) replace() {
	h, err := createInstance(l.path, l.sa, false)
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.waiting != windows.InvalidHandle {
		windows.CloseHandle(h)
		return
	}
	l.waiting = h
}

// connect waits until a client connects to instance h or Close is called.
func (l *pipeListener) connect(h windows.Handle) error {
	windows.ResetEvent(l.ov.HEvent)
	err := windows.ConnectNamedPipe(h, l.ov)
	switch {
	case err == nil, errors.Is(err, windows.ERROR_PIPE_CONNECTED):
		return nil
	case !errors.Is(err, windows.ERROR_IO_PENDING):
		return err
	}
	ev, err := windows.WaitForMultipleObjects([]windows.Handle{l.ov.HEvent, l.closeEv}, false, windows.INFINITE)
	if err != nil || ev != windows.WAIT_OBJECT_0 {
		windows.CancelIoEx(h, l.ov)
	}
	var n uint32
	return windows.GetOverlappedResult(h, l.ov, &n, true)
}

// Close stops accepting: a waiting Accept returns net.ErrClosed. Connections
// already accepted are not affected. Close is idempotent.
func (l *pipeListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	windows.SetEvent(l.closeEv)
	if !l.accepting {
		l.release()
	}
	return nil
}

// release frees the waiting instance and the events, once no Accept can
// use them: from Close when no Accept runs, else from that Accept.
func (l *pipeListener) release() {
	for _, h := range []*windows.Handle{&l.waiting, &l.ov.HEvent, &l.closeEv} {
		if *h != 0 && *h != windows.InvalidHandle {
			windows.CloseHandle(*h)
		}
		*h = windows.InvalidHandle
	}
}

// wait waits until every accepted connection that was closed is released.
func (l *pipeListener) wait() { l.closers.Wait() }

// Addr is the pipe's path.
func (l *pipeListener) Addr() net.Addr { return addr(l.path) }
