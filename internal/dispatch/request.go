// Package dispatch is an endpoint's message loop: one bounded queue per
// connection (a Source), a fair round-robin over the sources, a limit on how
// many handlers run at once, panic recovery, and the handler's context that
// carries the sender's deadline and cancellation.
//
// A transport attaches a Source for each connection and delivers requests to
// it; the loop calls the handler and hands the outcome back to the transport's
// Responder. When the loop is idle, a request runs in the delivering goroutine
// itself, so a round trip costs no goroutine hand-off.
package dispatch

import (
	"sync"
	"time"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// Request is one message on its way through the loop. Transports get them
// from NewRequest and fill in Msg, Seq and Deadline; the loop owns a Request
// from Deliver until it passes it to Responder.Respond, and the transport
// frees it there with Free.
type Request struct {
	Msg      transport.Message
	Seq      uint64    // non-zero for a Send: the sender waits for a reply
	Deadline time.Time // the sender's deadline; zero for none
	Size     int       // bytes the request counts against its source's quota
	Buf      []byte    // a transport-owned buffer to recycle, if any
	Aux      any       // transport-owned, untouched by the loop
	// Buffered says the transport already held r when the request before
	// it on this source came back from running inline: an inline run of r
	// is then timed from that request's end, and the loop reads the clock
	// once per message of a pipelined batch instead of twice.
	Buffered bool

	src      *Source
	hc       *handlerCtx
	canceled error // set when the sender gave up before the handler started
	inline   bool  // running in the transport's delivering goroutine
}

var requestPool = sync.Pool{New: func() any { return new(Request) }}

// NewRequest returns a zeroed Request from a pool.
func NewRequest() *Request { return requestPool.Get().(*Request) }

// Free returns r to the pool. r must not be used afterwards.
func Free(r *Request) {
	*r = Request{}
	requestPool.Put(r)
}

// IsSend reports whether the sender waits for a reply.
func (r *Request) IsSend() bool { return r.Seq != 0 }

// Responder is the transport's side of a Source.
type Responder interface {
	// Respond receives the outcome of every delivered request exactly once:
	// the handler's reply or error for a Send, the handler's completion (or
	// the reason it never ran) for a Post. A handler's own error arrives as
	// a *transport.RemoteError; for a Post, err is transport.ErrClosed
	// itself only when the closing loop dropped it without handling. It may
	// be called from any goroutine, and must not block for long.
	Respond(r *Request, rep transport.Reply, err error)
	// Begin is called in the delivering goroutine just before a request
	// runs inline there, so the transport can arrange for reading to go
	// on elsewhere if the handler takes long. start is the stats.Now
	// reading the handler's run is timed from: one clock read serves both.
	Begin(r *Request, start time.Duration)
	// Watch is called once when a handler running inline in the
	// transport's delivering goroutine first asks for its context's Done
	// channel or error: the transport must then keep receiving (to see a
	// cancellation) in another goroutine while the handler runs.
	Watch(r *Request)
}

// Inline reports whether r runs in the goroutine that delivered it, so a
// Responder may write its answer synchronously without blocking others.
func (r *Request) Inline() bool { return r.inline }
