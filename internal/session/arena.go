package session

import (
	"fmt"
	"net"

	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// Arena is implemented by streams that can carry a payload in shared
// memory by descriptor instead of in the stream (a shm.Conn with arenas):
// a frame then holds only where the payload lies (wire.FlagShared).
type Arena interface {
	// Borrow lends n bytes of the outgoing arena to fill; nil if none.
	Borrow(n int) []byte
	// Unborrow gives back a borrowed buffer that was not shared.
	Unborrow(p []byte) bool
	// Share makes p, if borrowed and not yet shared, travel by
	// descriptor; ok false: p goes in the stream.
	Share(p []byte) (off uint64, ok bool, err error)
	// Resolve returns the payload a descriptor names in the incoming
	// arena, until Return; an invalid one is an ErrProtocol.
	Resolve(off, n uint64) ([]byte, error)
	// Return gives a resolved payload back to the peer.
	Return(off uint64) error
	// HasArena reports whether both directions have an arena.
	HasArena() bool
}

// arenaOf returns c's arena, if it has one.
func arenaOf(c net.Conn) Arena {
	if a, ok := c.(Arena); ok && a.HasArena() {
		return a
	}
	return nil
}

// carriesData reports whether a frame of kind k may carry its payload by
// descriptor.
func carriesData(k wire.Kind) bool {
	return k == wire.KindSend || k == wire.KindPost || k == wire.KindReply
}

// share replaces payload by its descriptor if it travels in the arena.
func (w *frameWriter) share(h *wire.Header, payload []byte) ([]byte, error) {
	off, ok, err := w.arena.Share(payload)
	if err != nil || !ok {
		return payload, err
	}
	d := make([]byte, wire.SharedSize)
	wire.PutShared(d, off, uint64(len(payload)))
	h.Flags |= wire.FlagShared
	return d, nil
}

// copyOut resolves a shared payload into a buffer from alloc and gives the
// arena's pages back at once: the receiver's bytes are then its own, stable
// whatever the peer does to the arena.
func copyOut(a Arena, alloc func(int) []byte) func(off, n uint64) ([]byte, error) {
	return func(off, n uint64) ([]byte, error) {
		p, err := a.Resolve(off, n)
		if err != nil {
			return nil, err
		}
		d := alloc(int(n))
		copy(d, p)
		return d, a.Return(off)
	}
}

// resolveShared turns the descriptor the frame reader holds into the
// payload it names.
func (f *frameReader) resolveShared(desc []byte) ([]byte, error) {
	off, n, err := wire.ReadShared(desc, f.max)
	if err == nil {
		var p []byte
		if p, err = f.resolve(off, n); err == nil {
			return p, nil
		}
	}
	return nil, fmt.Errorf("%w: %s frame: %v", transport.ErrProtocol, f.hdr.Kind, err)
}

// borrow lends n bytes of the outgoing arena; nil without one.
func (w *frameWriter) borrow(n int) []byte {
	if w.arena == nil {
		return nil
	}
	return w.arena.Borrow(n)
}

// unborrow gives back a borrowed buffer that was not shared.
func (w *frameWriter) unborrow(p []byte) bool { return w.arena != nil && w.arena.Unborrow(p) }

// Borrow implements transport.Lender: a buffer in the connection's
// outgoing arena, or nil.
func (c *Client) Borrow(n int) []byte { return c.w.borrow(n) }

// Unborrow implements transport.Lender.
func (c *Client) Unborrow(p []byte) bool { return c.w.unborrow(p) }

// unlend gives back a borrowed payload whose message was refused before it
// reached the writer, and returns err.
func (c *Client) unlend(p []byte, err error) error {
	c.w.unborrow(p)
	return err
}

// Borrow lends a handler a buffer in the outgoing arena for its answer
// (transport.Lender).
func (sc *serverConn) Borrow(n int) []byte { return sc.w.borrow(n) }

// Unborrow implements transport.Lender.
func (sc *serverConn) Unborrow(p []byte) bool { return sc.w.unborrow(p) }

// inPlace resolves a reply's shared payload where it lies (Dialer.InPlace):
// the caller reads it there until Reply.Release gives it back.
func (c *Client) inPlace(off, n uint64) ([]byte, error) {
	p, err := c.w.arena.Resolve(off, n)
	if err != nil {
		return nil, err
	}
	c.shared, c.isShared = off, true
	return p, nil
}

// giver returns the Reply.Give that returns the payload at off.
func (c *Client) giver(off uint64) func() {
	a := c.w.arena
	return func() {
		if err := a.Return(off); err != nil {
			c.fail(err)
		}
	}
}
