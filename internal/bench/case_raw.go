package bench

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// The raw baselines speak the least a framed message protocol needs: an
// 8-byte header (kind, length) and the payload. The server echoes a ping,
// counts a one-way frame, and answers a sync with its header once it has
// read everything before it.
const (
	rawPing  = 1
	rawOne   = 2
	rawSync  = 3
	rawHdrSz = 8
)

func rawCases() []Case {
	return []Case{
		rawCase("raw-unix", "unix", "bare Unix socket: framed ping-pong (one connection per caller) and a buffered one-way stream"),
		rawCase("raw-tcp", "tcp", "bare TCP over loopback, same protocol as raw-unix"),
	}
}

func rawCase(name, network, note string) Case {
	return Case{
		Name: name, Group: GroupBaseline, Note: note,
		Serve: func(ctx context.Context, p Params) (Server, error) {
			addr := "127.0.0.1:0"
			if network == "unix" {
				addr = filepath.Join(p.Dir, p.Name+".sock")
			}
			return serveRaw(ctx, network, addr)
		},
		Dial: func(ctx context.Context, p Params, addr string) (Client, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if dl, ok := ctx.Deadline(); ok {
				c.SetDeadline(dl) // the cell's bound: a hung peer fails the cell
			}
			return newRawClient(c), nil
		},
	}
}

type rawServer struct {
	ln    net.Listener
	recv  atomic.Int64
	mu    sync.Mutex
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func serveRaw(ctx context.Context, network, addr string) (*rawServer, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	s := &rawServer{ln: ln, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *rawServer) Addr() string    { return s.ln.Addr().String() }
func (s *rawServer) Received() int64 { return s.recv.Load() }

func (s *rawServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

// serve answers one connection until it ends.
func (s *rawServer) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	r := bufio.NewReaderSize(c, 64<<10)
	var hdr [rawHdrSz]byte
	var buf []byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		kind, n := binary.LittleEndian.Uint32(hdr[:]), int(binary.LittleEndian.Uint32(hdr[4:]))
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return
		}
		var err error
		switch kind {
		case rawPing:
			_, err = (&net.Buffers{hdr[:], buf[:n]}).WriteTo(c)
		case rawOne:
			s.recv.Add(1)
		case rawSync:
			_, err = c.Write(hdr[:])
		}
		if err != nil {
			return
		}
	}
}

func (s *rawServer) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// rawClient is one connection; it is not safe for concurrent use.
type rawClient struct {
	c   net.Conn
	r   *bufio.Reader
	w   *bufio.Writer // one-way frames, batched like any stream writer
	out []byte        // a ping: header and payload in one write
	in  []byte
}

func newRawClient(c net.Conn) *rawClient {
	return &rawClient{c: c, r: bufio.NewReaderSize(c, 64<<10), w: bufio.NewWriterSize(c, 64<<10)}
}

func putRawHdr(b []byte, kind uint32, n int) {
	binary.LittleEndian.PutUint32(b, kind)
	binary.LittleEndian.PutUint32(b[4:], uint32(n))
}

func (c *rawClient) Send(ctx context.Context, p []byte) error {
	c.out = append(c.out[:0], make([]byte, rawHdrSz)...)
	putRawHdr(c.out, rawPing, len(p))
	c.out = append(c.out, p...)
	if _, err := c.c.Write(c.out); err != nil {
		return err
	}
	var hdr [rawHdrSz]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return err
	}
	n := int(binary.LittleEndian.Uint32(hdr[4:]))
	if cap(c.in) < n {
		c.in = make([]byte, n)
	}
	if _, err := io.ReadFull(c.r, c.in[:n]); err != nil {
		return err
	}
	return checkEcho(n, len(p))
}

func (c *rawClient) Post(ctx context.Context, p []byte) error {
	var hdr [rawHdrSz]byte
	putRawHdr(hdr[:], rawOne, len(p))
	c.w.Write(hdr[:])
	_, err := c.w.Write(p)
	return err
}

func (c *rawClient) Flush(ctx context.Context) error {
	var hdr [rawHdrSz]byte
	putRawHdr(hdr[:], rawSync, 0)
	c.w.Write(hdr[:])
	if err := c.w.Flush(); err != nil {
		return err
	}
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return err
	}
	if binary.LittleEndian.Uint32(hdr[:]) != rawSync {
		return errors.New("bench: raw sync answered with another frame")
	}
	return nil
}

func (c *rawClient) Close() error { return c.c.Close() }
