package pipe

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// linger bounds how long a closing server end waits for its client to
// read what was written last (a goodbye frame) before disconnecting it.
const linger = 200 * time.Millisecond

// file is the overlapped I/O go-winio does on a handle: reads and writes
// complete through an I/O completion port, with deadlines. (An *os.File
// would do the same, but for pipes it updates one file offset from both
// Read and Write without a common lock, which the race detector reports.)
type file interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// conn is one end of a connected pipe instance. A read that times out
// keeps whatever it received.
type conn struct {
	f    file
	h    windows.Handle // valid until f is closed
	path string

	// Server ends only: closing disconnects the client, in a goroutine
	// the listener waits for.
	closers *sync.WaitGroup
	once    sync.Once
}

var _ net.Conn = (*conn)(nil)

// newConn wraps a client end. On failure h is closed.
func newConn(h windows.Handle, path string) (*conn, error) {
	f, err := winio.NewOpenFile(h)
	if err != nil {
		windows.CloseHandle(h)
		return nil, fmt.Errorf("named pipe %s: %w", path, err)
	}
	return &conn{f: f.(file), h: h, path: path}, nil
}

// newServerConn wraps a connected server end; closers tracks its release.
func newServerConn(h windows.Handle, path string, closers *sync.WaitGroup) (*conn, error) {
	c, err := newConn(h, path)
	if err == nil {
		c.closers = closers
	}
	return c, err
}

func (c *conn) Read(b []byte) (int, error)  { return c.f.Read(b) }
func (c *conn) Write(b []byte) (int, error) { return c.f.Write(b) }
func (c *conn) LocalAddr() net.Addr         { return addr(c.path) }
func (c *conn) RemoteAddr() net.Addr        { return addr(c.path) }
func (c *conn) SetDeadline(t time.Time) error {
	return errors.Join(c.f.SetReadDeadline(t), c.f.SetWriteDeadline(t))
}
func (c *conn) SetReadDeadline(t time.Time) error  { return c.f.SetReadDeadline(t) }
func (c *conn) SetWriteDeadline(t time.Time) error { return c.f.SetWriteDeadline(t) }

// Close closes the connection. A server end is released in the background:
// a pipe instance lives while either end is open, so an idle client would
// otherwise keep the endpoint's pipe name alive after it closed, and the
// name could not listen again. Close is idempotent.
func (c *conn) Close() error {
	if c.closers == nil {
		return c.f.Close()
	}
	c.once.Do(func() {
		c.closers.Add(1)
		go c.release()
	})
	return nil
}

// release lets the client read what is still in the pipe (for at most
// linger), disconnects it and closes the handle: Microsoft's pattern of
// FlushFileBuffers, DisconnectNamedPipe, CloseHandle, with a bound.
func (c *conn) release() {
	defer c.closers.Done()
	fired := make(chan struct{})
	t := time.AfterFunc(linger, func() {
		windows.DisconnectNamedPipe(c.h) // ends the FlushFileBuffers below
		close(fired)
	})
	windows.FlushFileBuffers(c.h)
	if !t.Stop() {
		<-fired
	}
	windows.DisconnectNamedPipe(c.h)
	c.f.Close()
}

// addr is a pipe's path as a net.Addr.
type addr string

func (a addr) Network() string { return Scheme }
func (a addr) String() string  { return string(a) }
