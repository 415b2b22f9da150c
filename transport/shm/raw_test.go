package shm_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/postbox-ipc/postbox/internal/shm"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// rawShm lets the conformance suite's hand-written handshake and frames go
// through the rings: it sets the shared-memory flag in the Hello it writes,
// performs the upgrade when the Welcome is read, and from then on reads and
// writes raw bytes through the shared-memory Conn.
type rawShm struct {
	*net.UnixConn
	mu      sync.Mutex
	ring    net.Conn
	welcome *bytes.Reader
	hello   bool
	rdl     time.Time
	wdl     time.Time
}

func newRawShm(c *net.UnixConn) *rawShm { return &rawShm{UnixConn: c} }

func (r *rawShm) Write(b []byte) (int, error) {
	r.mu.Lock()
	ring := r.ring
	first := !r.hello
	r.hello = true
	r.mu.Unlock()
	if ring != nil {
		return ring.Write(b)
	}
	if first && len(b) >= 8 && string(b[:4]) == wire.Magic {
		b = bytes.Clone(b)
		binary.LittleEndian.PutUint16(b[6:], binary.LittleEndian.Uint16(b[6:])|wire.HelloWantShm)
	}
	return r.UnixConn.Write(b)
}

func (r *rawShm) Read(b []byte) (int, error) {
	if err := r.upgrade(); err != nil {
		return 0, err
	}
	if r.welcome.Len() > 0 {
		return r.welcome.Read(b)
	}
	return r.ring.Read(b)
}

// upgrade reads the Welcome with the descriptor on the first Read.
func (r *rawShm) upgrade() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ring != nil {
		return nil
	}
	if !r.hello {
		return r.UnixConn.SetReadDeadline(time.Now()) // nothing to read before a Hello
	}
	w, c, err := shm.Client().Receive(r.UnixConn)
	if err != nil {
		return err
	}
	if c == net.Conn(r.UnixConn) {
		return errors.New("rawShm: no upgrade")
	}
	r.ring = c
	r.welcome = bytes.NewReader(wire.AppendWelcome(nil, w))
	r.ring.SetReadDeadline(r.rdl)
	r.ring.SetWriteDeadline(r.wdl)
	return nil
}

func (r *rawShm) SetDeadline(t time.Time) error {
	r.SetReadDeadline(t)
	return r.SetWriteDeadline(t)
}

func (r *rawShm) SetReadDeadline(t time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rdl = t
	if r.ring != nil {
		return r.ring.SetReadDeadline(t)
	}
	return r.UnixConn.SetReadDeadline(t)
}

func (r *rawShm) SetWriteDeadline(t time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.wdl = t
	if r.ring != nil {
		return r.ring.SetWriteDeadline(t)
	}
	return r.UnixConn.SetWriteDeadline(t)
}

func (r *rawShm) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ring != nil {
		return r.ring.Close()
	}
	return r.UnixConn.Close()
}
