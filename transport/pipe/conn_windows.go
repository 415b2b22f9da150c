package pipe

import (
	"net"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// conn is one end of a connected pipe instance. Reads and writes go
// through the Go runtime's I/O completion port (the handle is overlapped),
// which gives them deadlines; a read that times out keeps its data.
type conn struct {
	f    *os.File
	h    windows.Handle // valid until Close; used for the peer's identity
	path string
}

var _ net.Conn = (*conn)(nil)

func newConn(h windows.Handle, path string) *conn {
	return &conn{f: os.NewFile(uintptr(h), path), h: h, path: path}
}

func (c *conn) Read(b []byte) (int, error)         { return c.f.Read(b) }
func (c *conn) Write(b []byte) (int, error)        { return c.f.Write(b) }
func (c *conn) Close() error                       { return c.f.Close() }
func (c *conn) LocalAddr() net.Addr                { return addr(c.path) }
func (c *conn) RemoteAddr() net.Addr               { return addr(c.path) }
func (c *conn) SetDeadline(t time.Time) error      { return c.f.SetDeadline(t) }
func (c *conn) SetReadDeadline(t time.Time) error  { return c.f.SetReadDeadline(t) }
func (c *conn) SetWriteDeadline(t time.Time) error { return c.f.SetWriteDeadline(t) }

// addr is a pipe's path as a net.Addr.
type addr string

func (a addr) Network() string { return Scheme }
func (a addr) String() string  { return string(a) }
