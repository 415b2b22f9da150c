package postbox

import (
	"context"
	"errors"
	"unsafe"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// The layers share their types by conversion at this package's edge. The
// transports and the engine (internal/...) have their own Message, Reply,
// Peer and error types, because they may not import this package; the
// types here are the same shapes, declared again so that go doc shows
// them. Values cross in one of three ways, all without allocating:
//
//   - Peer, SpyFilter and SpyRecord have the same underlying types as
//     their internal twins, so a Go conversion turns one into the other;
//     Reply, whose recycled buffer is unexported here, is copied field by
//     field (publicReply, wireReply);
//   - a *Message handed to a Handler is the engine's *transport.Message
//     seen through this package's type: the two structs have the same
//     fields in the same order, which TestTypesMirrorInternal checks field
//     by field, so the pointer conversion is the one unsafe.Pointer allows
//     between types of equivalent memory layout;
//   - errors are rebuilt: publicErr on the way out of every function of
//     this package (opErr calls it), wireErr on the way back from a
//     Handler.

// wireMsg is m as the transports take it. From is the receiver's to fill.
func wireMsg(m Message) transport.Message {
	return transport.Message{ID: m.ID, W: m.W, L: m.L, Data: m.Data}
}

// handlerFunc is h as the engine calls it.
func handlerFunc(h Handler) transport.HandlerFunc {
	return func(ctx context.Context, m *transport.Message) (transport.Reply, error) {
		rep, err := h.ServeMessage(ctx, (*Message)(unsafe.Pointer(m)))
		return wireReply(rep), wireErr(err)
	}
}

// publicReply is a transport's reply as a caller gets it: its buffer goes
// with it, for Release.
func publicReply(r transport.Reply) Reply {
	return Reply{Result: r.Result, Data: r.Data, buf: r.Buf, give: r.Give}
}

// wireReply is a handler's reply as the engine writes it. A buffer it may
// hold (a reply passed on from another Send) stays the handler's.
func wireReply(r Reply) transport.Reply {
	return transport.Reply{Result: r.Result, Data: r.Data}
}

// publicErr rebuilds the engine's error types as this package's.
func publicErr(err error) error {
	switch e := err.(type) {
	case *transport.RemoteError:
		return &RemoteError{Code: Code(e.Code), Message: e.Message}
	case *transport.LostError:
		return &LostError{Count: e.Count, Err: publicErr(e.Err)}
	}
	return err
}

// wireErr is a handler's error as the engine carries it: a *RemoteError
// anywhere in its chain is what the sender sees, as it would be from the
// engine's own.
func wireErr(err error) error {
	if err == nil {
		return nil // before re, which escapes to the heap: no allocation per message
	}
	var re *RemoteError
	if errors.As(err, &re) {
		return re.internal()
	}
	return err
}
