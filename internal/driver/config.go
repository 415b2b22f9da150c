package driver

import (
	"log/slog"
	"net"
	"time"

	"github.com/postbox-ipc/postbox/internal/namespace"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// Defaults.
const (
	DefaultMaxSize          = 16 << 20
	DefaultQueueLen         = 10000
	DefaultQueueBytes       = 64 << 20
	DefaultHandshakeTimeout = 5 * time.Second
	DefaultCloseTimeout     = 5 * time.Second
	DefaultMaxConns         = 1024
	DefaultMaxHandshakes    = 64
	DefaultFrameTimeout     = 10 * time.Second
	DefaultMaxMemory        = 512 << 20
)

// AuthFunc decides whether a peer may talk to an endpoint. A non-nil error
// refuses it with ErrDenied before any of its messages reaches the handler.
type AuthFunc func(transport.Peer) error

// ListenConfig is what the root package tells a transport about an
// endpoint. The zero value uses the defaults.
type ListenConfig struct {
	// Name is the endpoint's name.
	Name string
	// MaxSize is the largest payload the endpoint accepts.
	MaxSize uint32
	// QueueLen and QueueBytes bound each connection's receive queue.
	QueueLen   int
	QueueBytes int64
	// HandshakeTimeout bounds a new connection's handshake.
	HandshakeTimeout time.Duration
	// MaxConns bounds admitted connections (their handshake done).
	MaxConns int
	// MaxConnsPerUser bounds one UID's admitted connections; zero means
	// no bound but MaxConns.
	MaxConnsPerUser int
	// MaxHandshakes bounds the connections still in their handshake;
	// past it the oldest of them is closed. Zero means the default.
	MaxHandshakes int
	// FrameTimeout is how long a frame that has begun may go without a
	// byte arriving before its connection is ended; zero means the
	// default, negative none.
	FrameTimeout time.Duration
	// Auth is the access policy; nil admits everyone the transport lets
	// through.
	Auth AuthFunc
	// Shared is set when Auth admits other users: transports then open
	// their files (sockets) to them and rely on Auth.
	Shared bool
	// AllowSIDs are the Windows users and groups (SIDs) the policy
	// admits besides the endpoint's own user: named-pipe transports
	// grant them, and only them, access in the pipe's DACL. Empty with
	// Shared set means every authenticated user.
	AllowSIDs []string
	// Namespace is where the endpoint's name was claimed; transports
	// that need files (sockets) put them there.
	Namespace *namespace.Namespace
	// Logger receives connection events; nil discards them.
	Logger *slog.Logger
	// Listener, when set, is a listening socket to serve instead of
	// creating one (socket activation); the transport owns it and never
	// removes its file, which belongs to whoever made it.
	Listener net.Listener
	// Upgrade, if set, lets clients move their connection onto another
	// channel during the handshake (see Upgrade). Stream transports that
	// support one set it themselves.
	Upgrade *Upgrade
	// ShmRingSize is the size of each shared-memory ring, in bytes, for
	// clients that upgrade to shared memory; zero means 4 MiB.
	ShmRingSize int
	// ShmArenaSize is the size of each of their two payload arenas, in
	// bytes; zero means 8 MiB, negative none (see shm.ArenaSize).
	ShmArenaSize int
	// ReuseBuffers lends a handler each message's Data only until it
	// returns, so the transport may recycle the buffer; by default Data
	// is the handler's to keep.
	ReuseBuffers bool
	// InPlace lends a handler a payload that came through shared memory
	// where it lies, until the handler returns, instead of a copy.
	InPlace bool
}

// DialConfig is what the root package tells a transport about a dial.
type DialConfig struct {
	// MaxSize is the largest reply payload the caller accepts.
	MaxSize uint32
	// HandshakeTimeout bounds the handshake.
	HandshakeTimeout time.Duration
	// CloseTimeout bounds how long Close waits to confirm posts.
	CloseTimeout time.Duration
	// System selects the system-wide namespace for bare names.
	System bool
	// TrustUIDs are users, besides the caller's own, root and the owner of
	// the socket's directory, whose endpoints at explicit socket paths the
	// caller accepts.
	TrustUIDs []int
	// Upgrade, if set, asks the endpoint to move the connection onto
	// another channel during the handshake (see Upgrade).
	Upgrade *Upgrade
	// Logger receives connection events; nil discards them.
	Logger *slog.Logger
	// NoCopy hands a message's Data to an in-process handler instead of
	// copying it: ownership passes (Dialer.NoCopy).
	NoCopy bool
	// InPlace leaves a reply that came through shared memory where it
	// lies until Reply.Release (Dialer.InPlace).
	InPlace bool
}

// MaxSizeOr returns v, or the default when v is zero.
func MaxSizeOr(v uint32) uint32 {
	if v == 0 {
		return DefaultMaxSize
	}
	return v
}

// QueueLenOr returns v, or the default when v is not positive.
func (c *ListenConfig) QueueLenOr() int { return positive(c.QueueLen, DefaultQueueLen) }

// QueueBytesOr returns the byte bound, never below one maximal message.
func (c *ListenConfig) QueueBytesOr() int64 {
	return max(positive(c.QueueBytes, DefaultQueueBytes), int64(MaxSizeOr(c.MaxSize)))
}

// MaxConnsOr returns the connection bound.
func (c *ListenConfig) MaxConnsOr() int { return positive(c.MaxConns, DefaultMaxConns) }

// MaxHandshakesOr returns the bound on connections in their handshake.
func (c *ListenConfig) MaxHandshakesOr() int { return positive(c.MaxHandshakes, DefaultMaxHandshakes) }

// FrameTimeoutOr returns the frame timeout; 0 for none.
func (c *ListenConfig) FrameTimeoutOr() time.Duration {
	if c.FrameTimeout < 0 {
		return 0
	}
	return positive(c.FrameTimeout, DefaultFrameTimeout)
}

// HandshakeOr returns the handshake bound.
func HandshakeOr(d time.Duration) time.Duration { return positive(d, DefaultHandshakeTimeout) }

// CloseOr returns the close bound.
func CloseOr(d time.Duration) time.Duration { return positive(d, DefaultCloseTimeout) }

// LoggerOr returns l, or a logger that discards.
func LoggerOr(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

func positive[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
