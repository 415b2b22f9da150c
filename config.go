package postbox

import (
	"log/slog"
	"time"
)

// ListenConfig configures an endpoint. The zero value is ready to use: one
// message at a time, queues of 10,000 messages per connection, 16 MiB
// messages, same-user access, the user's namespace.
type ListenConfig struct {
	// Concurrency is how many messages may be handled at once, across
	// connections; each connection's messages are still handled one at a
	// time, in order. Zero means 1: a message loop.
	Concurrency int
	// QueueLen bounds each connection's queue of accepted, unhandled
	// messages. Zero means 10,000 (the Windows posted-message limit).
	QueueLen int
	// QueueBytes bounds the payload bytes queued per connection. Zero
	// means 64 MiB (never less than MaxSize).
	QueueBytes int64
	// MaxSize is the largest message payload accepted. Zero means 16 MiB.
	MaxSize int
	// MaxConns bounds admitted connections: those whose handshake is
	// done. The connection over it is refused with ErrLimit. Zero means
	// 1,024.
	MaxConns int
	// MaxConnsPerUser bounds the admitted connections of any one user
	// (by the kernel's UID; peers a transport cannot identify count only
	// against MaxConns). The connection over the limit is refused with
	// ErrLimit. Zero means no bound but MaxConns — except with System,
	// where it means MaxConns/4 (256 by default), so that one user
	// cannot take every slot; -1 means no bound there too.
	MaxConnsPerUser int
	// MaxHandshakes bounds the connections still in their handshake,
	// apart from MaxConns: they never take an admitted client's slot.
	// Past it the oldest of them is closed, so a flood of connections
	// that never finish their handshake displaces only itself. Zero
	// means 64 (dbus-daemon's bound on incomplete connections).
	MaxHandshakes int
	// HandshakeTimeout bounds a new connection's handshake. Zero means 5s.
	HandshakeTimeout time.Duration
	// FrameTimeout is how long a message whose first bytes arrived may go
	// without another before its connection is ended (a goaway naming
	// the reason; counted in Stats as Errors["stalled"]), so a peer
	// cannot hold a partial frame's memory for ever. Zero means 10s;
	// negative, no timeout.
	FrameTimeout time.Duration
	// MaxMemory is the endpoint's memory budget, in bytes, over all its
	// connections: messages received and not yet answered, answers not
	// yet written, frames still arriving. Past it, the connection
	// holding the most bytes that it does not read or finish is ended
	// with a goaway naming the reason (Stats: Errors["memory"]); its
	// accepted posted messages are still handled. Messages waiting for
	// the handler are bounded per connection by QueueBytes instead.
	// Zero means 512 MiB; negative, no budget. See docs/PROTOCOL.md,
	// "Memory", for the bound on each connection.
	MaxMemory int64
	// System puts the endpoint in the system-wide namespace
	// (/run/postbox), for services; it needs the rights to create it.
	System bool
	// SocketActivation serves the listening socket a service manager
	// passed to the process (systemd's LISTEN_PID, LISTEN_FDS and
	// LISTEN_FDNAMES) instead of creating one: the socket named after
	// the endpoint (FileDescriptorName=), or the only one passed. It must
	// be a listening Unix stream socket, else Listen fails. A process
	// started without sockets listens as usual, so one program serves
	// both ways. The variables are unset and the descriptors made
	// close-on-exec, so children inherit neither. Unix transport only.
	SocketActivation bool
	// AllowUIDs and AllowGIDs admit peers of other users or groups, by
	// the kernel's credentials; a group matches the peer's primary or any
	// supplementary group. AllowUsers and AllowGroups do the same by name,
	// resolved when Listen is called (an unknown name fails Listen). The
	// endpoint's own user is always admitted. Any of them opens the
	// endpoint's socket to other users (mode 0666), leaving the decision
	// to this policy.
	AllowUIDs   []int
	AllowGIDs   []int
	AllowUsers  []string
	AllowGroups []string
	// AllowAnyUser admits every local user the socket's permissions let
	// through (a system endpoint's socket is world-connectable).
	AllowAnyUser bool
	// Authorize, when set, is asked about every peer the Allow fields
	// admitted, and may still refuse it: a non-nil error denies the
	// connection (the dialer sees ErrDenied and the error's text) before
	// any of its messages reaches the handler. With AllowAnyUser it is
	// the whole policy. It runs in the transport's goroutine.
	Authorize func(Peer) error
	// Also lists more addresses to listen on besides the name's own, such
	// as another transport: "tcp://127.0.0.1:0" makes the endpoint
	// reachable over TCP too.
	Also []string
	// Transports gives this endpoint its own configured transport
	// instances, used instead of the registered one of the same scheme —
	// for example a *tcp.Transport with TLS and a token. Nil uses the
	// registered transports.
	Transports []Transport
	// ShmRingSize is the size in bytes of each of the two rings a
	// shared-memory ("shm:") connection gets, rounded up to a power of
	// two between 4 KiB and 1 GiB. Zero means 4 MiB.
	ShmRingSize int
	// ShmArenaSize is the size in bytes of each of the two arenas a
	// shared-memory connection gets for payloads that travel by
	// descriptor instead of through a ring: buffers from Conn.Borrow and
	// Borrow (other payloads always go through the rings). It is rounded
	// up to whole 4 KiB pages, at most 1 GiB. Zero means 8 MiB; a negative
	// size gives no arenas, and Borrow then returns ordinary memory.
	ShmArenaSize int
	// Logger receives connection events and recovered panics. Nil
	// discards them.
	Logger *slog.Logger
	// OnConnect, when set, is called with the peer of every connection
	// the access policy admitted, before its first message is handled;
	// OnDisconnect when the connection ends (its accepted posted
	// messages may still be handled afterwards). They run in the
	// transport's goroutine and must return quickly.
	OnConnect    func(Peer)
	OnDisconnect func(Peer)
	// WatchUIDs lists users, besides the endpoint's own and root, who
	// may watch it: ask for its Stats, metrics and spy feed (the
	// reserved message IDs from FirstReserved up).
	WatchUIDs []int
	// WatchIdentities lists authenticated identities (Peer.Identity) who
	// may watch it too: a TLS client certificate's subject or a token's
	// name over tcp://, or "nats" for every client the NATS server
	// admitted over nats:// — there the server's subject permissions are
	// the access control, and a peer has no user ID.
	WatchIdentities []string
	// NoWatch refuses the reserved watch messages from everyone but the
	// endpoint's own process; Stats and WritePrometheus still work.
	NoWatch bool
	// ReuseBuffers lends the handler each message's Data only until it
	// returns, so the endpoint can recycle the buffer instead of
	// allocating one per message. A handler must then copy what it
	// keeps. By default Data is the handler's to keep.
	ReuseBuffers bool
	// InPlace lends the handler a payload that came through shared memory
	// ("shm:", a buffer from Conn.Borrow) where the sender
	// wrote it, until the handler returns, instead of a copy: Data is then
	// the handler's only until it returns, as with ReuseBuffers. The bytes
	// lie in memory the sender can write: a sender that breaks the
	// protocol can change them while the handler reads them, so a handler
	// that acts on what it checked copies what it checks. Without it, such
	// a payload is copied once out of shared memory and the bytes are
	// stable.
	InPlace bool
}

// Dialer configures connections. The zero value is ready to use.
type Dialer struct {
	// MaxSize is the largest reply payload accepted. Zero means 16 MiB.
	MaxSize int
	// HandshakeTimeout bounds the handshake. Zero means 5s.
	HandshakeTimeout time.Duration
	// CloseTimeout bounds how long Close waits for the receiver to
	// confirm posted messages. Zero means 5s.
	CloseTimeout time.Duration
	// System resolves bare names in the system-wide namespace.
	System bool
	// TrustUIDs are the other users whose endpoints a dial to an explicit
	// Unix socket path ("unix:/path.sock") accepts. By default the kernel
	// must report the endpoint's process as the caller's own user, root,
	// or the owner of the socket's directory: in a directory others can
	// write (/tmp) anyone could have bound the path first. A refused dial
	// fails with ErrDenied before a byte is sent. Names in a namespace need
	// no such check: only its owner can create sockets there.
	TrustUIDs []int
	// Transports gives this dialer its own configured transport instances,
	// used instead of the registered one of the same scheme — for example
	// a *tcp.Transport with TLS settings and a token. Nil uses the
	// registered transports.
	Transports []Transport
	// Logger receives connection events. Nil discards them.
	Logger *slog.Logger
	// Redial makes a Conn whose endpoint went away dial the address again
	// for the next message: after the endpoint restarted (a Shutdown
	// handing its name to a successor, a crash and a new process), Send
	// and Post reach the new one. Redial never resends: a message in
	// flight when the connection ended fails as it would without Redial,
	// since it may have been handled (one refused by a draining endpoint
	// was not, and can be sent again); posts the old connection left
	// unconfirmed are reported by the next Flush or Close. A redial is a
	// Dial: it can fail with ErrNoEndpoint while no endpoint listens.
	Redial bool
	// NoCopy hands each message's Data to an endpoint in the same process
	// ("inproc:") without copying it: ownership passes, and the caller
	// must not read or write a slice it passed to Send, SendAsync, Post or
	// TryPost again. Other transports copy the bytes onto the wire as
	// always, so the setting changes nothing there.
	NoCopy bool
	// InPlace leaves the Data of a reply that came through shared memory
	// ("shm:", a buffer the handler got from Borrow) where the handler
	// wrote it, instead of copying it out: it is the caller's only until
	// Reply.Release, which gives it back — release every reply, or the
	// memory stays lent until the connection ends. The bytes lie in memory
	// the endpoint can write: one that breaks the protocol can change them
	// while the caller reads them. Without it, such a reply is copied
	// once, and its bytes are the caller's to keep.
	InPlace bool
}
