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
	// MaxConns bounds open connections. Zero means 1,024.
	MaxConns int
	// MaxConnsPerUser bounds the connections, handshaking or open, of
	// any one user (by the kernel's UID; peers a transport cannot
	// identify count only against MaxConns). The connection over the
	// limit is refused with ErrLimit. Zero means no bound but MaxConns.
	MaxConnsPerUser int
	// HandshakeTimeout bounds a new connection's handshake. Zero means 5s.
	HandshakeTimeout time.Duration
	// System puts the endpoint in the system-wide namespace
	// (/run/postbox), for services; it needs the rights to create it.
	System bool
	// AllowUIDs and AllowGIDs admit peers of other users or groups, by
	// the kernel's credentials. The endpoint's own user is always
	// admitted.
	AllowUIDs []int
	AllowGIDs []int
	// AllowAnyUser admits every local user the socket's permissions let
	// through (a system endpoint's socket is world-connectable).
	AllowAnyUser bool
	// Also lists more addresses to listen on besides the name's own, such
	// as another transport.
	Also []string
	// ShmRingSize is the size in bytes of each of the two rings a
	// shared-memory ("shm:") connection gets, rounded up to a power of
	// two between 4 KiB and 1 GiB. Zero means 4 MiB.
	ShmRingSize int
	// Logger receives connection events and recovered panics. Nil
	// discards them.
	Logger *slog.Logger
}

// ListenOption adjusts a ListenConfig; see the With… functions.
type ListenOption func(*ListenConfig)

// WithConcurrency lets n messages be handled at once.
func WithConcurrency(n int) ListenOption { return func(c *ListenConfig) { c.Concurrency = n } }

// WithQueueLen bounds each connection's queue to n messages.
func WithQueueLen(n int) ListenOption { return func(c *ListenConfig) { c.QueueLen = n } }

// WithMaxSize sets the largest payload accepted, in bytes.
func WithMaxSize(n int) ListenOption { return func(c *ListenConfig) { c.MaxSize = n } }

// WithSystem puts the endpoint in the system-wide namespace.
func WithSystem() ListenOption { return func(c *ListenConfig) { c.System = true } }

// WithAllowUID admits peers running as these users too.
func WithAllowUID(uids ...int) ListenOption {
	return func(c *ListenConfig) { c.AllowUIDs = append(c.AllowUIDs, uids...) }
}

// WithAllowGID admits peers whose primary group is one of these.
func WithAllowGID(gids ...int) ListenOption {
	return func(c *ListenConfig) { c.AllowGIDs = append(c.AllowGIDs, gids...) }
}

// WithLogger sends the endpoint's log records to l.
func WithLogger(l *slog.Logger) ListenOption { return func(c *ListenConfig) { c.Logger = l } }

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
	// Logger receives connection events. Nil discards them.
	Logger *slog.Logger
}

// DialOption adjusts a Dialer.
type DialOption func(*Dialer)

// WithDialSystem resolves bare names in the system-wide namespace.
func WithDialSystem() DialOption { return func(d *Dialer) { d.System = true } }

// WithCloseTimeout bounds how long Close waits to confirm posted messages.
func WithCloseTimeout(t time.Duration) DialOption { return func(d *Dialer) { d.CloseTimeout = t } }
