package winmsg

import (
	"context"
	"fmt"
	"log/slog"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/winapi"
)

// receiver turns the messages an endpoint's window receives into requests
// for the endpoint's loop. All its methods but Respond and Watch run on the
// window's thread.
type receiver struct {
	src  *dispatch.Source
	ctx  context.Context // the loop's: ends when the endpoint closes
	max  int             // largest WM_COPYDATA payload accepted
	log  *slog.Logger
	hwnd windows.HWND
	seq  uint64 // numbers sent messages; window thread only
	busy bool   // a sent message is being handled; window thread only
}

// outcome is a handled sent message's result, passed back to the window
// procedure waiting for it.
type outcome struct {
	rep transport.Reply
	err error
}

var _ dispatch.Responder = (*receiver)(nil)

// copyData handles WM_COPYDATA: the payload is checked against the size
// limit and copied before the window procedure returns.
func (rx *receiver) copyData(wParam uintptr, cds *winapi.CopyDataStruct) uintptr {
	if cds == nil {
		return 0
	}
	n := int(cds.Len)
	if n > rx.max || (n > 0 && cds.Ptr == nil) {
		rx.log.Warn("postbox: WM_COPYDATA refused", "bytes", n, "limit", rx.max)
		return 0
	}
	var data []byte
	if n > 0 {
		data = make([]byte, n)
		copy(data, unsafe.Slice((*byte)(cds.Ptr), n))
	}
	return rx.send(transport.Message{ID: transport.CopyData, W: int64(wParam), L: int64(cds.Data), Data: data})
}

// sent handles any other message sent to the window for the handler.
func (rx *receiver) sent(msg uint32, wParam, lParam uintptr) uintptr {
	return rx.send(transport.Message{ID: msg, W: int64(wParam), L: int64(lParam)})
}

// send runs a sent message through the loop and waits for the handler,
// whose Result becomes the LRESULT. A message that arrives while the
// window's thread is itself inside a handler (a handler that sends to its
// own window, or pumps messages) would wait for itself, so it is refused.
func (rx *receiver) send(m transport.Message) uintptr {
	if rx.busy {
		rx.log.Warn("postbox: window message refused: the endpoint's window is inside a handler", "id", fmt.Sprintf("%#x", m.ID))
		return 0
	}
	rx.busy = true
	defer func() { rx.busy = false }()
	done := make(chan outcome, 1)
	r := dispatch.NewRequest()
	rx.seq++
	r.Msg, r.Seq, r.Size, r.Aux = m, rx.seq, len(m.Data), done
	err := rx.src.Deliver(r, true)
	if err == transport.ErrQueueFull {
		err = rx.src.DeliverWait(rx.ctx, r)
	}
	if err != nil {
		dispatch.Free(r)
		return 0
	}
	out := <-done
	if out.err != nil {
		rx.log.Info("postbox: window message failed", "id", fmt.Sprintf("%#x", m.ID), "err", out.err)
		return 0
	}
	return uintptr(out.rep.Result)
}

// posted queues a posted message like a Post, waiting while the loop's
// queue is full: the window's own queue then fills, and PostMessage fails
// for its senders, which is the push-back Windows knows.
func (rx *receiver) posted(msg uint32, wParam, lParam uintptr) {
	r := dispatch.NewRequest()
	r.Msg = transport.Message{ID: msg, W: int64(wParam), L: int64(lParam)}
	if err := rx.src.DeliverWait(rx.ctx, r); err != nil {
		dispatch.Free(r)
		rx.log.Info("postbox: posted window message dropped: endpoint closing", "id", fmt.Sprintf("%#x", msg))
	}
}

// Respond implements dispatch.Responder.
func (rx *receiver) Respond(r *dispatch.Request, rep transport.Reply, err error) {
	if done, ok := r.Aux.(chan outcome); ok {
		done <- outcome{rep, err}
	} else if err != nil {
		rx.log.Info("postbox: posted window message failed", "id", fmt.Sprintf("%#x", r.Msg.ID), "err", err)
	}
	dispatch.Free(r)
}

// Begin implements dispatch.Responder. A handler running inline runs on the
// window's thread, as a window procedure does: other messages wait for it.
func (rx *receiver) Begin(*dispatch.Request, time.Duration) {}

// Watch implements dispatch.Responder. A window message cannot be
// cancelled by its sender, so there is nothing to watch.
func (rx *receiver) Watch(*dispatch.Request) {}
