package postbox

import (
	"log/slog"
	"time"
)

// ListenOption adjusts a ListenConfig. There is one for every field, named
// With and the field's name; a list field's option appends to it, a
// boolean field's sets it.
type ListenOption func(*ListenConfig)

// WithConcurrency sets ListenConfig.Concurrency.
func WithConcurrency(n int) ListenOption { return func(c *ListenConfig) { c.Concurrency = n } }

// WithQueueLen sets ListenConfig.QueueLen.
func WithQueueLen(n int) ListenOption { return func(c *ListenConfig) { c.QueueLen = n } }

// WithQueueBytes sets ListenConfig.QueueBytes.
func WithQueueBytes(n int64) ListenOption { return func(c *ListenConfig) { c.QueueBytes = n } }

// WithMaxSize sets ListenConfig.MaxSize.
func WithMaxSize(n int) ListenOption { return func(c *ListenConfig) { c.MaxSize = n } }

// WithMaxConns sets ListenConfig.MaxConns.
func WithMaxConns(n int) ListenOption { return func(c *ListenConfig) { c.MaxConns = n } }

// WithMaxConnsPerUser sets ListenConfig.MaxConnsPerUser.
func WithMaxConnsPerUser(n int) ListenOption { return func(c *ListenConfig) { c.MaxConnsPerUser = n } }

// WithMaxHandshakes sets ListenConfig.MaxHandshakes.
func WithMaxHandshakes(n int) ListenOption { return func(c *ListenConfig) { c.MaxHandshakes = n } }

// WithFrameTimeout sets ListenConfig.FrameTimeout.
func WithFrameTimeout(d time.Duration) ListenOption {
	return func(c *ListenConfig) { c.FrameTimeout = d }
}

// WithMaxMemory sets ListenConfig.MaxMemory.
func WithMaxMemory(n int64) ListenOption { return func(c *ListenConfig) { c.MaxMemory = n } }

// WithHandshakeTimeout sets ListenConfig.HandshakeTimeout.
func WithHandshakeTimeout(d time.Duration) ListenOption {
	return func(c *ListenConfig) { c.HandshakeTimeout = d }
}

// WithSystem sets ListenConfig.System: the system-wide namespace.
func WithSystem() ListenOption { return func(c *ListenConfig) { c.System = true } }

// WithSocketActivation sets ListenConfig.SocketActivation.
func WithSocketActivation() ListenOption { return func(c *ListenConfig) { c.SocketActivation = true } }

// WithAllowUIDs adds to ListenConfig.AllowUIDs.
func WithAllowUIDs(uids ...int) ListenOption {
	return func(c *ListenConfig) { c.AllowUIDs = append(c.AllowUIDs, uids...) }
}

// WithAllowGIDs adds to ListenConfig.AllowGIDs.
func WithAllowGIDs(gids ...int) ListenOption {
	return func(c *ListenConfig) { c.AllowGIDs = append(c.AllowGIDs, gids...) }
}

// WithAllowUsers adds to ListenConfig.AllowUsers.
func WithAllowUsers(names ...string) ListenOption {
	return func(c *ListenConfig) { c.AllowUsers = append(c.AllowUsers, names...) }
}

// WithAllowGroups adds to ListenConfig.AllowGroups.
func WithAllowGroups(names ...string) ListenOption {
	return func(c *ListenConfig) { c.AllowGroups = append(c.AllowGroups, names...) }
}

// WithAllowAnyUser sets ListenConfig.AllowAnyUser.
func WithAllowAnyUser() ListenOption { return func(c *ListenConfig) { c.AllowAnyUser = true } }

// WithAuthorize sets ListenConfig.Authorize.
func WithAuthorize(f func(Peer) error) ListenOption {
	return func(c *ListenConfig) { c.Authorize = f }
}

// WithAlso adds to ListenConfig.Also.
func WithAlso(addrs ...string) ListenOption {
	return func(c *ListenConfig) { c.Also = append(c.Also, addrs...) }
}

// WithTransports adds to ListenConfig.Transports.
func WithTransports(ts ...Transport) ListenOption {
	return func(c *ListenConfig) { c.Transports = append(c.Transports, ts...) }
}

// WithShmRingSize sets ListenConfig.ShmRingSize.
func WithShmRingSize(n int) ListenOption { return func(c *ListenConfig) { c.ShmRingSize = n } }

// WithShmArenaSize sets ListenConfig.ShmArenaSize.
func WithShmArenaSize(n int) ListenOption { return func(c *ListenConfig) { c.ShmArenaSize = n } }

// WithLogger sets ListenConfig.Logger.
func WithLogger(l *slog.Logger) ListenOption { return func(c *ListenConfig) { c.Logger = l } }

// WithOnConnect sets ListenConfig.OnConnect.
func WithOnConnect(f func(Peer)) ListenOption { return func(c *ListenConfig) { c.OnConnect = f } }

// WithOnDisconnect sets ListenConfig.OnDisconnect.
func WithOnDisconnect(f func(Peer)) ListenOption { return func(c *ListenConfig) { c.OnDisconnect = f } }

// WithWatchIdentities adds to ListenConfig.WatchIdentities.
func WithWatchIdentities(ids ...string) ListenOption {
	return func(c *ListenConfig) { c.WatchIdentities = append(c.WatchIdentities, ids...) }
}

// WithWatchUIDs adds to ListenConfig.WatchUIDs.
func WithWatchUIDs(uids ...int) ListenOption {
	return func(c *ListenConfig) { c.WatchUIDs = append(c.WatchUIDs, uids...) }
}

// WithNoWatch sets ListenConfig.NoWatch.
func WithNoWatch() ListenOption { return func(c *ListenConfig) { c.NoWatch = true } }

// WithInPlace sets ListenConfig.InPlace.
func WithInPlace() ListenOption { return func(c *ListenConfig) { c.InPlace = true } }

// WithReuseBuffers sets ListenConfig.ReuseBuffers.
func WithReuseBuffers() ListenOption { return func(c *ListenConfig) { c.ReuseBuffers = true } }

// DialOption adjusts a Dialer. There is one for every field, named WithDial
// and the field's name; a list field's option appends to it, a boolean
// field's sets it.
type DialOption func(*Dialer)

// WithDialMaxSize sets Dialer.MaxSize.
func WithDialMaxSize(n int) DialOption { return func(d *Dialer) { d.MaxSize = n } }

// WithDialHandshakeTimeout sets Dialer.HandshakeTimeout.
func WithDialHandshakeTimeout(t time.Duration) DialOption {
	return func(d *Dialer) { d.HandshakeTimeout = t }
}

// WithDialCloseTimeout sets Dialer.CloseTimeout.
func WithDialCloseTimeout(t time.Duration) DialOption { return func(d *Dialer) { d.CloseTimeout = t } }

// WithDialSystem sets Dialer.System: bare names in the system-wide
// namespace.
func WithDialSystem() DialOption { return func(d *Dialer) { d.System = true } }

// WithDialTrustUIDs adds to Dialer.TrustUIDs.
func WithDialTrustUIDs(uids ...int) DialOption {
	return func(d *Dialer) { d.TrustUIDs = append(d.TrustUIDs, uids...) }
}

// WithDialTransports adds to Dialer.Transports.
func WithDialTransports(ts ...Transport) DialOption {
	return func(d *Dialer) { d.Transports = append(d.Transports, ts...) }
}

// WithDialLogger sets Dialer.Logger.
func WithDialLogger(l *slog.Logger) DialOption { return func(d *Dialer) { d.Logger = l } }

// WithDialRedial sets Dialer.Redial.
func WithDialRedial() DialOption { return func(d *Dialer) { d.Redial = true } }

// WithDialInPlace sets Dialer.InPlace.
func WithDialInPlace() DialOption { return func(d *Dialer) { d.InPlace = true } }

// WithDialNoCopy sets Dialer.NoCopy.
func WithDialNoCopy() DialOption { return func(d *Dialer) { d.NoCopy = true } }
