package postbox

import (
	"context"
	"fmt"
	"sync"

	"github.com/postbox-ipc/postbox/internal/dispatch"
)

// Handler answers messages: an endpoint's window procedure.
//
// ServeMessage is called with each message in turn (one at a time per
// connection, in the order sent). For a sent message, its Reply or error
// goes back to the sender; for a posted one they are discarded. ctx carries
// the sender's deadline and is cancelled when the sender gives up or goes
// away, or the endpoint closes. A panic is recovered and reported to the
// sender as a *RemoteError; the endpoint keeps serving.
type Handler interface {
	ServeMessage(ctx context.Context, m *Message) (Reply, error)
}

// InSend reports whether the message a handler is answering was sent (its
// sender waits for the Reply) rather than posted, given the handler's ctx or
// a context derived from it: Windows' InSendMessage. A bridge uses it to
// forward a message the way it arrived.
func InSend(ctx context.Context) bool { return dispatch.InSend(ctx) }

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, m *Message) (Reply, error)

// ServeMessage calls f.
func (f HandlerFunc) ServeMessage(ctx context.Context, m *Message) (Reply, error) {
	return f(ctx, m)
}

// Mux routes messages by ID to handlers: the switch on the message number in
// a window procedure. The zero value is ready to use; it is safe for
// concurrent use.
type Mux struct {
	mu       sync.RWMutex
	routes   map[uint32]Handler
	fallback Handler
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return new(Mux) }

// Handle routes messages with the given ID to h, replacing any earlier route.
func (x *Mux) Handle(id uint32, h Handler) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.routes == nil {
		x.routes = make(map[uint32]Handler)
	}
	x.routes[id] = h
}

// HandleFunc routes messages with the given ID to f.
func (x *Mux) HandleFunc(id uint32, f func(ctx context.Context, m *Message) (Reply, error)) {
	x.Handle(id, HandlerFunc(f))
}

// Default sets the handler for IDs without a route (DefWindowProc). Without
// one, such a message fails with a *RemoteError naming the ID.
func (x *Mux) Default(h Handler) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.fallback = h
}

// ServeMessage dispatches m to the handler for m.ID.
func (x *Mux) ServeMessage(ctx context.Context, m *Message) (Reply, error) {
	x.mu.RLock()
	h, ok := x.routes[m.ID]
	if !ok {
		h = x.fallback
	}
	x.mu.RUnlock()
	if h == nil {
		return Reply{}, &RemoteError{Code: CodeHandler, Message: fmt.Sprintf("no handler for message %#x", m.ID)}
	}
	return h.ServeMessage(ctx, m)
}
