package session

import (
	"container/list"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/stats"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// DefaultStallTimeout is how long a connection's peer may leave written
// answers unread before the connection is cut.
const DefaultStallTimeout = 30 * time.Second

// PeerFunc identifies the process at the other end of a new connection,
// from the kernel where possible.
type PeerFunc func(net.Conn) (transport.Peer, error)

// Server accepts connections on a listener and feeds their messages to an
// endpoint's loop.
type Server struct {
	ln     net.Listener
	loop   *dispatch.Loop
	name   string
	cfg    *driver.ListenConfig
	peerOf PeerFunc
	log    *slog.Logger
	slots  chan struct{} // one per admitted connection

	mu     sync.Mutex
	conns  map[net.Conn]*serverConn // nil while handshaking
	users  map[int]int              // admitted connections per UID, for MaxConnsPerUser
	shakes list.List                // connections in their handshake, oldest first
	shake  map[net.Conn]*list.Element
	closed bool
	wg     sync.WaitGroup

	draining bool // Drain was called: no new connections
	lnClosed bool
}

// Serve starts accepting on ln for the endpoint cfg.Name. peerOf may be nil
// (peers unknown).
func Serve(ln net.Listener, loop *dispatch.Loop, cfg *driver.ListenConfig, peerOf PeerFunc) *Server {
	s := &Server{ln: ln, loop: loop, name: cfg.Name, cfg: cfg, peerOf: peerOf,
		log: driver.LoggerOr(cfg.Logger), slots: make(chan struct{}, cfg.MaxConnsOr()), conns: make(map[net.Conn]*serverConn), users: make(map[int]int),
		shake: make(map[net.Conn]*list.Element)}
	s.wg.Add(1)
	go s.acceptLoop()
	return s
}

// Addr is the listener's address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	var delay time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors and the like: back off, never spin.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("postbox: accept failed", "endpoint", s.name, "err", err, "retry", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		if !s.track(c, nil) {
			c.Close()
			return
		}
		s.startShake(c)
		s.wg.Add(1)
		go s.handshake(c)
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// isClosing reports whether the server is closed or draining.
func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed || s.draining
}

// refuse answers a handshake with a failure status, without waiting.
func (s *Server) refuse(c net.Conn, st wire.Status, reason string) {
	c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = c.Write(wire.AppendWelcome(nil, &wire.Welcome{Version: wire.Version, Status: st, Reason: reason}))
	c.Close()
}

// startShake counts c among the connections in their handshake. Past
// MaxHandshakes the oldest of them is refused (status busy) to make room: a flood of
// connections that never finish their handshake (bare connects, or a
// Hello sent a byte at a time) then only displaces itself, while a client
// whose handshake takes a round trip is through long before its turn to
// be displaced comes. Admitted connections never lose their place to it.
func (s *Server) startShake(c net.Conn) {
	s.mu.Lock()
	s.shake[c] = s.shakes.PushBack(c)
	var oldest net.Conn
	if s.shakes.Len() > s.cfg.MaxHandshakesOr() {
		oldest = s.shakes.Remove(s.shakes.Front()).(net.Conn)
		delete(s.shake, oldest)
	}
	s.mu.Unlock()
	if oldest != nil {
		s.loop.CountError(stats.KindBusy)
		s.log.Info("postbox: handshake displaced by a newer connection", "endpoint", s.name, "limit", s.cfg.MaxHandshakesOr())
		s.wg.Add(1)
		go func() { // a client that sent its Hello reads why, as ErrLimit
			defer s.wg.Done()
			s.refuse(oldest, wire.StatusBusy, fmt.Sprintf("too many connections in their handshake (MaxHandshakes %d)", s.cfg.MaxHandshakesOr()))
		}()
	}
}

// endShake forgets c as handshaking, if it still is, and reports whether it
// was: false means startShake displaced it, and the displacer answers it.
func (s *Server) endShake(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.shake[c]
	if ok {
		s.shakes.Remove(e)
		delete(s.shake, c)
	}
	return ok
}

// refuseShake refuses a connection in its handshake, unless startShake
// displaced it meanwhile: the displacer has counted and answered it then,
// and one connection gets one answer.
func (s *Server) refuseShake(c net.Conn, peer transport.Peer, st wire.Status, reason string) {
	if !s.endShake(c) {
		return
	}
	s.log.Info("postbox: connection refused", "endpoint", s.name, "pid", peer.PID, "uid", peer.UID, "reason", reason)
	s.loop.CountError(refusalKind[st])
	s.refuse(c, st, reason)
}

// handshake admits one connection, then serves it.
func (s *Server) handshake(c net.Conn) {
	defer s.wg.Done()
	defer s.endShake(c)
	release := func() { s.untrack(c) }
	c.SetDeadline(time.Now().Add(driver.HandshakeOr(s.cfg.HandshakeTimeout)))
	peer, st, reason := s.identify(c)
	if st != wire.StatusOK {
		s.refuseShake(c, peer, st, reason)
		release()
		return
	}
	hello, err := wire.ReadHello(c)
	if err != nil {
		s.log.Debug("postbox: handshake failed", "endpoint", s.name, "err", err)
		s.loop.CountError(stats.KindHandshake)
		c.Close()
		release()
		return
	}
	st, reason = s.admit(&peer, hello)
	if st == wire.StatusOK {
		st, reason = s.takeSlot(peer.UID)
	}
	if st != wire.StatusOK {
		s.refuseShake(c, peer, st, reason)
		release()
		return
	}
	defer s.leaveUser(peer.UID)
	release = func() {
		s.untrack(c)
		<-s.slots
	}
	// Admitted: out of the handshakes a newer connection may displace,
	// before anything is written. One displaced meanwhile is the
	// displacer's to answer (busy) and close: a Welcome written now would
	// race that answer on the same socket.
	if !s.endShake(c) {
		release()
		return
	}
	conn, peer, err := s.welcome(c, hello, peer)
	if err != nil {
		s.log.Info("postbox: handshake failed", "endpoint", s.name, "pid", peer.PID, "err", err)
		s.loop.CountError(stats.KindHandshake)
		c.Close()
		release()
		return
	}
	sc := s.newConn(conn, peer, hello)
	if !s.track(c, sc) {
		sc.end(fmt.Errorf("%w: endpoint closing", transport.ErrPeerGone))
		sc.w.close()
		release()
		return
	}
	if s.isClosing() {
		sc.drainNotice() // Drain ran between admit and track
	}
	c.SetDeadline(time.Time{})
	conn.SetDeadline(time.Time{})
	sc.wg.Add(1)
	sc.readLoop(0)
	sc.wg.Wait()
	sc.w.close()
	release()
}

// welcome accepts an admitted connection: it writes the Welcome, upgrading
// the connection first when the client asked for it and the endpoint has
// an Upgrade. It returns the conn the session runs over (which owns c) and
// the peer as the session reports it.
func (s *Server) welcome(c net.Conn, hello *wire.Hello, peer transport.Peer) (net.Conn, transport.Peer, error) {
	w := wire.Welcome{Version: wire.Version, Status: wire.StatusOK, PID: uint32(os.Getpid()),
		MaxSize: driver.MaxSizeOr(s.cfg.MaxSize), CreditMsgs: uint32(s.cfg.QueueLenOr()), CreditBytes: uint64(s.cfg.QueueBytesOr())}
	if up := s.cfg.Upgrade; up != nil && hello.Flags&up.Flag != 0 {
		w.Flags = uint32(up.Flag)
		conn, err := up.Accept(c, wire.AppendWelcome(nil, &w))
		if err == nil {
			peer.Transport = up.Scheme
			return conn, peer, nil
		}
		if !errors.Is(err, driver.ErrDeclined) {
			return nil, peer, err
		}
		s.log.Info("postbox: upgrade declined", "endpoint", s.name, "pid", peer.PID, "err", err)
		w.Flags = 0
	}
	_, err := c.Write(wire.AppendWelcome(nil, &w))
	return c, peer, err
}

// identify learns who is at the other end of c and applies the access
// policy, before reading anything from it.
func (s *Server) identify(c net.Conn) (transport.Peer, wire.Status, string) {
	peer := transport.UnknownPeer("")
	if s.peerOf != nil {
		p, err := s.peerOf(c)
		if err != nil {
			return peer, wire.StatusDenied, "cannot identify the peer: " + err.Error()
		}
		peer = p
	}
	if s.cfg.Auth != nil {
		if err := s.cfg.Auth(peer); err != nil {
			return peer, wire.StatusDenied, err.Error()
		}
	}
	return peer, wire.StatusOK, ""
}

// takeSlot holds a place for an admitted connection among MaxConns and in
// its user's quota; the caller gives them back (<-s.slots, leaveUser).
func (s *Server) takeSlot(uid int) (wire.Status, string) {
	select {
	case s.slots <- struct{}{}:
	default:
		return wire.StatusBusy, "too many connections"
	}
	if !s.enterUser(uid) {
		<-s.slots
		return wire.StatusBusy, fmt.Sprintf("too many connections from uid %d", uid)
	}
	return wire.StatusOK, ""
}

// enterUser counts a connection against uid's quota, unless it is full.
// Peers without a UID are not counted.
func (s *Server) enterUser(uid int) bool {
	if uid < 0 || s.cfg.MaxConnsPerUser <= 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[uid] >= s.cfg.MaxConnsPerUser {
		return false
	}
	s.users[uid]++
	return true
}

func (s *Server) leaveUser(uid int) {
	if uid < 0 || s.cfg.MaxConnsPerUser <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[uid]--; s.users[uid] <= 0 {
		delete(s.users, uid)
	}
}

// admit decides on a Hello from peer.
func (s *Server) admit(peer *transport.Peer, h *wire.Hello) (wire.Status, string) {
	if peer.PID <= 0 {
		peer.PID = int(h.PID)
	}
	switch {
	case h.Version != wire.Version:
		return wire.StatusVersion, fmt.Sprintf("protocol version %d not supported (want %d)", h.Version, wire.Version)
	case h.Name != s.name && h.Name != AnyName:
		return wire.StatusNoEndpoint, fmt.Sprintf("this is %q, not %q", s.name, h.Name)
	case s.isClosing():
		return wire.StatusClosing, "endpoint closing"
	}
	return wire.StatusOK, ""
}

// refusalKind counts a refused handshake by its status.
var refusalKind = map[wire.Status]stats.Kind{
	wire.StatusDenied:     stats.KindDenied,
	wire.StatusNoEndpoint: stats.KindNoEndpoint,
	wire.StatusVersion:    stats.KindProtocol,
	wire.StatusBusy:       stats.KindBusy,
	wire.StatusClosing:    stats.KindRefused,
}

// track records c (and, after its handshake, its session) so Close can end
// it. It fails once the server is closed.
func (s *Server) track(c net.Conn, sc *serverConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = sc
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Close stops accepting, says goodbye to every connection, closes them and
// waits for their goroutines, including handlers running inline.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	conns := make(map[net.Conn]*serverConn, len(s.conns))
	for c, sc := range s.conns {
		conns[c] = sc
	}
	s.mu.Unlock()
	err := s.closeListener()
	for c, sc := range conns {
		if sc == nil {
			c.Close()
			continue
		}
		sc.goaway(transport.CodeClosed, "endpoint closing")
	}
	s.wg.Wait()
	return err
}

// Drain begins a graceful shutdown: the server stops accepting connections
// (refusing those mid-handshake as closing) and tells every open one that
// the endpoint takes no new messages, while their pending messages are
// still answered. The endpoint's loop must already refuse new messages
// (dispatch.Loop.StopAccepting). Close ends the connections afterwards.
func (s *Server) Drain() error {
	s.mu.Lock()
	if s.draining || s.closed {
		s.mu.Unlock()
		return nil
	}
	s.draining = true
	var conns []*serverConn
	for _, sc := range s.conns {
		if sc != nil {
			conns = append(conns, sc)
		}
	}
	s.mu.Unlock()
	err := s.closeListener()
	for _, sc := range conns {
		sc.drainNotice()
	}
	return err
}

// closeListener closes the listening socket once.
func (s *Server) closeListener() error {
	s.mu.Lock()
	done := s.lnClosed
	s.lnClosed = true
	s.mu.Unlock()
	if done {
		return nil
	}
	return s.ln.Close()
}
