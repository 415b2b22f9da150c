// Package nats is the Postbox transport through a NATS server:
// "nats://host:4222/NAME" reaches the endpoint NAME wherever it runs, with
// the same Send, Post and Broadcast as on one machine. It lives in its own
// module so the core keeps its small dependency set; enable it with a blank
// import:
//
//	import _ "github.com/postbox-ipc/postbox/transport/nats"
//
// An endpoint subscribes to the subject "postbox.NAME" (the prefix is
// configurable) in a queue group, so replicas of one name share the load: a
// Dial asks the group for an instance and the connection then talks to that
// instance alone, like a TCP connection to one replica, so its messages are
// handled in order. Send is a NATS request; no responders fails with
// ErrNoEndpoint at once, and a payload over the server's maximum with
// ErrTooLarge. While anything is outstanding the instance sends heartbeats,
// so a receiver that dies mid-Send is reported (ErrPeerGone) within
// Transport.Liveness — a second by default — rather than at the deadline.
// Post keeps the "never silently lost" contract: the instance returns credit
// as it handles Posts, so a full queue pushes back on Post (TryPost fails
// with ErrQueueFull); Flush has the instance confirm it has every earlier
// Post; a Post that fails fast while disconnected (no reconnect buffering)
// or is never confirmed is reported by Flush and Close as a *LostError.
// With Transport.Durable, Posts go through JetStream instead (see
// Transport.Durable). Broadcast asks every endpoint behind a server and
// gathers their replies.
//
// Any NATS client can talk to an endpoint: "nats request postbox.viewer
// hello" gets the handler's reply data back. The message ID, W and L travel
// in the headers named below; a request without them arrives as CopyData
// with the payload as Data, and a plain publish without a reply subject as
// a Post nobody acknowledges. docs/PROTOCOL.md ("NATS") is the full mapping.
//
// Access: the NATS server authenticates clients and authorizes subjects
// (accounts, users, permissions); an endpoint admits what the server
// delivers, with Peer.Identity "nats" and the sender's claimed PID. Protect
// the subjects with NATS permissions.
package nats

import (
	"time"

	gonats "github.com/nats-io/nats.go"

	"github.com/postbox-ipc/postbox/driver"
)

// Scheme is this transport's address prefix.
const Scheme = "nats"

// Defaults.
const (
	DefaultPrefix   = "postbox"
	DefaultQueue    = "postbox"
	DefaultLiveness = time.Second
)

// Identity is the Peer.Identity of every sender: the NATS server vouched
// for it.
const Identity = "nats"

func init() { driver.Register(&Transport{}) }

// Transport carries Postbox messages through NATS. The zero value is ready
// to use; its fields apply to both endpoints and dialers, which must agree
// on Prefix and Durable. A Transport must not be modified after first use;
// it is safe for concurrent use. Give an endpoint or dialer its own with
// postbox.WithTransport or postbox.WithDialTransport.
type Transport struct {
	// Prefix is the first subject token: NAME is reached at
	// "Prefix.NAME". Empty means "postbox".
	Prefix string
	// Queue is the queue group replicas of one name share. Empty means
	// "postbox".
	Queue string
	// Options are added to every NATS connection the transport opens:
	// credentials, TLS to the server, a connection name. Reconnect
	// buffering is always off, so nothing is buffered while disconnected.
	Options []gonats.Option
	// Liveness bounds how long a Send (or an unacknowledged Post) waits
	// without a sign of life from the endpoint before it fails with
	// ErrPeerGone; endpoints send heartbeats four times as often. Zero
	// means one second.
	Liveness time.Duration
	// Durable sends Posts through JetStream: the stream PREFIX_DURABLE
	// (created on first use, file storage, work-queue retention) keeps
	// every posted message until an endpoint of that name has handled it,
	// even if none runs when it is posted. Post returns once JetStream took
	// the message; Flush waits for its acknowledgement, which means the
	// server stored it — and, with the server's "sync_interval: always",
	// that it was written with fsync. Delivery is at least once: a message
	// whose handler did not finish before its endpoint died is handled
	// again by another one. Sends are unaffected.
	Durable bool
}

var (
	_ driver.Transport = (*Transport)(nil)
	_ driver.Remote    = (*Transport)(nil)
)

// Scheme implements driver.Transport.
func (*Transport) Scheme() string { return Scheme }

// EndpointName implements driver.Remote: the NAME of "host:port/NAME".
func (*Transport) EndpointName(addr string) (string, error) {
	a, err := parseAddr(addr, true)
	return a.name, err
}

func (t *Transport) prefix() string { return or(t.Prefix, DefaultPrefix) }

func (t *Transport) queue() string { return or(t.Queue, DefaultQueue) }

func (t *Transport) liveness() time.Duration {
	if t.Liveness <= 0 {
		return DefaultLiveness
	}
	return t.Liveness
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
