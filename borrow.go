package postbox

import (
	"context"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// Borrow returns a buffer of n bytes to fill and send as a message's Data
// on c without a copy. Over shared memory ("shm:") it lies in the region c
// shares with the endpoint, and Send, SendAsync, Post or TryPost on c
// carries only where it lies: the endpoint reads the bytes where they are
// (with ListenConfig.InPlace) or copies them once. Passing the buffer to
// one of those calls gives it back to c, whatever the outcome; do not touch
// it afterwards. A buffer you end up not sending goes back with Unborrow.
//
// Over other transports, with Dialer.Redial, or when the region has no
// room left (its arena holds ListenConfig.ShmArenaSize bytes, shared by
// the buffers not yet read), Borrow returns ordinary memory, and the
// message is copied as any other.
func (c *Conn) Borrow(n int) []byte {
	if n <= 0 {
		return nil
	}
	if c.re == nil {
		if l, ok := c.c.(transport.Lender); ok {
			if b := l.Borrow(n); b != nil {
				return b
			}
		}
	}
	return make([]byte, n)
}

// Unborrow gives back a buffer from Borrow that was not sent. It does
// nothing for ordinary memory.
func (c *Conn) Unborrow(b []byte) {
	if l, ok := c.c.(transport.Lender); ok && c.re == nil {
		l.Unborrow(b)
	}
}

// Borrow, called by a handler answering a Send, returns a buffer of n
// bytes for its Reply's Data that travels back without a copy, like
// Conn.Borrow's: over shared memory it lies in the region the connection
// shares with the sender. Returning it in the Reply gives it back, even
// when the reply is not sent (the handler also returns an error, or
// answers a Post); a buffer the handler does not return stays lent until
// the connection ends. Outside such a handler, or over other transports,
// it returns ordinary memory.
func Borrow(ctx context.Context, n int) []byte {
	if n <= 0 {
		return nil
	}
	if l := dispatch.LenderOf(ctx); l != nil {
		if b := l.Borrow(n); b != nil {
			return b
		}
	}
	return make([]byte, n)
}
