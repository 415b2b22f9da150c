package stats

import "github.com/postbox-ipc/postbox/internal/transport"

// Kind classifies an error an endpoint counts. The kinds up to
// KindProtocol have the numbers of the wire's error codes
// (transport.Code), so a handler's outcome maps to its kind directly.
type Kind uint8

// Error kinds.
const (
	KindHandler    Kind = Kind(transport.CodeHandler)    // the handler returned an error
	KindPanic      Kind = Kind(transport.CodePanic)      // the handler panicked
	KindTimeout    Kind = Kind(transport.CodeTimeout)    // the handler's deadline passed
	KindCanceled   Kind = Kind(transport.CodeCanceled)   // the sender gave up
	KindTooLarge   Kind = Kind(transport.CodeTooLarge)   // a message or reply was too large
	KindDenied     Kind = Kind(transport.CodeDenied)     // refused by the access policy or the handler
	KindClosed     Kind = Kind(transport.CodeClosed)     // a Send was not handled because the endpoint closed
	KindNoEndpoint Kind = Kind(transport.CodeNoEndpoint) // a connection asked for another name
	KindQueueFull  Kind = Kind(transport.CodeQueueFull)  // the queue was full
	KindProtocol   Kind = Kind(transport.CodeProtocol)   // a peer broke the wire protocol
	KindRefused    Kind = 11                             // a message arrived while the endpoint was shutting down
	KindDropped    Kind = 12                             // an accepted Post was never handled: the endpoint closed
	KindHandshake  Kind = 13                             // a connection failed its handshake
	KindBusy       Kind = 14                             // a connection was refused: too many connections
	KindMemory     Kind = 15                             // a connection was ended to keep the endpoint within its memory budget
	KindStalled    Kind = 16                             // a connection was ended: a frame stopped arriving
	numKinds            = 17
)

var kindNames = [numKinds]string{"", "handler", "panic", "timeout", "canceled", "too_large", "denied",
	"closed", "no_endpoint", "queue_full", "protocol", "refused", "dropped", "handshake", "busy", "memory", "stalled"}

// String is the kind's name, as used in Counts.Errors and in the
// Prometheus label kind="…".
func (k Kind) String() string {
	if k > 0 && k < numKinds {
		return kindNames[k]
	}
	return "other"
}

// KindOf classifies a handler's error; nil has kind 0 (no error).
func KindOf(err error) Kind {
	if err == nil {
		return 0
	}
	if c := transport.CodeOf(err); c <= transport.CodeProtocol {
		return Kind(c)
	}
	return KindHandler
}
