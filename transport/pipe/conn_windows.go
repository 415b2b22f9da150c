package pipe

import (
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/windows"
)

// linger bounds how long a closing server end waits for its client to
// read what was written last (a goodbye frame) before disconnecting it.
const linger = 200 * time.Millisecond

// conn is one end of a connected pipe instance. Reads and writes go
// through the Go runtime's I/O completion port (the handle is overlapped),
// which gives them deadlines; a read that times out keeps its data.
type conn struct {
	f    *os.File
	h    windows.Handle // valid until the file is closed
	path string

	// Server ends only: closing disconnects the client, in a goroutine
	// the listener waits for.
	closers *sync.WaitGroup
	once    sync.Once
}

var _ net.Conn = (*conn)(nil)

// newConn wraps a client end.
func newConn(h windows.Handle, path string) *conn {
	return &conn{f: os.NewFile(uintptr(h), path), h: h, path: path}
}

// newServerConn wraps a connected server end; closers tracks its release.
func newServerConn(h windows.Handle, path string, closers *sync.WaitGroup) *conn {
	c := newConn(h, path)
	c.closers = closers
	return c
}

func (c *conn) Read(b []byte) (int, error)         { return c.f.Read(b) }
func (c *conn) Write(b []byte) (int, error)        { return c.f.Write(b) }
func (c *conn) LocalAddr() net.Addr                { return addr(c.path) }
func (c *conn) RemoteAddr() net.Addr               { return addr(c.path) }
func (c *conn) SetDeadline(t time.Time) error      { return c.f.SetDeadline(t) }
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
