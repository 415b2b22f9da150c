// Package driver is the public extension point for Postbox transports that
// live outside this module, such as the NATS transport
// (github.com/postbox-ipc/postbox/transport/nats), which has its own go.mod so
// the core keeps its small dependency set.
//
// It mirrors database/sql/driver: a transport implements Transport and
// registers itself from an init function with Register; a program enables it
// with a blank import. Every type here is an alias of the one the built-in
// transports use, so an external transport is exactly as capable as a
// built-in one, and the root package needs no adapter.
//
// A transport's Listen receives the endpoint's message loop. For each
// connection (or each remote sender) it attaches a Source, then for each
// message takes a Request from NewRequest, fills in Msg, Seq (non-zero for a
// Send) and Deadline, and hands it to Source.Deliver. The loop calls the
// endpoint's handler and reports every outcome, exactly once, to the
// transport's Responder, which answers the sender and releases the Request
// with Free.
//
// Most programs never import this package. The API follows the core's
// internal packages and may change before Postbox v1.
package driver

import (
	"context"
	"log/slog"
	"time"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	idriver "github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// The values a transport carries: the engine's own types, which package
// postbox converts to and from its public types of the same names and
// fields at its edge (a transport never imports package postbox).
type (
	// Message is one message: ID, W, L, Data, and the sender in From.
	Message = transport.Message
	// Reply is a handler's answer.
	Reply = transport.Reply
	// Peer identifies the other side of a connection.
	Peer = transport.Peer
	// RemoteError is a failure reported by the other side, with its Code.
	RemoteError = transport.RemoteError
	// LostError reports posted messages never confirmed.
	LostError = transport.LostError
)

// Message numbers shared with Windows.
const (
	CopyData = transport.CopyData
	User     = transport.User
	App      = transport.App
)

// The sentinel errors; package postbox exports the same values.
var (
	ErrNoEndpoint = transport.ErrNoEndpoint
	ErrTimeout    = transport.ErrTimeout
	ErrPeerGone   = transport.ErrPeerGone
	ErrNameInUse  = transport.ErrNameInUse
	ErrQueueFull  = transport.ErrQueueFull
	ErrTooLarge   = transport.ErrTooLarge
	ErrDenied     = transport.ErrDenied
	ErrProtocol   = transport.ErrProtocol
	ErrBadAddress = transport.ErrBadAddress
	ErrLimit      = transport.ErrLimit
	ErrClosed     = transport.ErrClosed
)

// The transport interface and its configuration.
type (
	// Transport carries messages for one address scheme.
	Transport = idriver.Transport
	// Listener is one endpoint's presence on one transport.
	Listener = idriver.Listener
	// Remote is implemented by transports whose endpoints are not names in
	// the local namespace (tcp, nats): listening on one as an endpoint's
	// main address claims no local name.
	Remote = idriver.Remote
	// ListenConfig is what the root package tells a transport about an
	// endpoint.
	ListenConfig = idriver.ListenConfig
	// DialConfig is what the root package tells a transport about a dial.
	DialConfig = idriver.DialConfig
	// Conn is the sending side of a connection, returned by Dial.
	Conn = transport.Conn
)

// The endpoint's message loop, as a transport sees it.
type (
	// Loop is an endpoint's message loop.
	Loop = dispatch.Loop
	// Source is one connection's (or sender's) queue in a Loop.
	Source = dispatch.Source
	// Request is one message on its way through the loop.
	Request = dispatch.Request
	// Responder is the transport's side of a Source.
	Responder = dispatch.Responder
)

// Code classifies an error that crosses a connection; RemoteError carries it.
type Code = transport.Code

// Error codes, as carried on every wire.
const (
	CodeHandler    = transport.CodeHandler
	CodePanic      = transport.CodePanic
	CodeTimeout    = transport.CodeTimeout
	CodeCanceled   = transport.CodeCanceled
	CodeTooLarge   = transport.CodeTooLarge
	CodeDenied     = transport.CodeDenied
	CodeClosed     = transport.CodeClosed
	CodeNoEndpoint = transport.CodeNoEndpoint
	CodeQueueFull  = transport.CodeQueueFull
	CodeProtocol   = transport.CodeProtocol
)

// Defaults a transport applies to zero configuration values.
const (
	DefaultMaxSize          = idriver.DefaultMaxSize
	DefaultQueueLen         = idriver.DefaultQueueLen
	DefaultHandshakeTimeout = idriver.DefaultHandshakeTimeout
	DefaultCloseTimeout     = idriver.DefaultCloseTimeout
)

// Register makes t available under its scheme. It panics on a duplicate.
func Register(t Transport) { idriver.Register(t) }

// NewRequest returns a zeroed Request from a pool.
func NewRequest() *Request { return dispatch.NewRequest() }

// Free returns r to the pool; r must not be used afterwards.
func Free(r *Request) { dispatch.Free(r) }

// InSend reports whether a handler's ctx belongs to a sent message (the
// sender waits for the reply) rather than a posted one.
func InSend(ctx context.Context) bool { return dispatch.InSend(ctx) }

// CodeOf classifies a handler's error for the wire.
func CodeOf(err error) Code { return transport.CodeOf(err) }

// CtxErr converts a context's error: a passed deadline becomes ErrTimeout,
// cancellation stays context.Canceled.
func CtxErr(ctx context.Context) error { return transport.CtxErr(ctx) }

// MaxSizeOr returns v, or DefaultMaxSize when v is zero.
func MaxSizeOr(v uint32) uint32 { return idriver.MaxSizeOr(v) }

// CloseOr returns d, or DefaultCloseTimeout when d is not positive.
func CloseOr(d time.Duration) time.Duration { return idriver.CloseOr(d) }

// HandshakeOr returns d, or DefaultHandshakeTimeout when d is not positive.
func HandshakeOr(d time.Duration) time.Duration { return idriver.HandshakeOr(d) }

// LoggerOr returns l, or a logger that discards.
func LoggerOr(l *slog.Logger) *slog.Logger { return idriver.LoggerOr(l) }
