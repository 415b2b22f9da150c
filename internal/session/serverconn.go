package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postbox-ipc/postbox/internal/bufpool"
	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/stats"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// maxErrorText bounds the error text sent back to a sender.
const maxErrorText = 4 << 10

// serverConn is the receiving side of one connection.
type serverConn struct {
	srv      *Server
	conn     net.Conn
	src      *dispatch.Source
	w        *frameWriter
	r        *frameReader
	peerMax  uint32
	winMsgs  int64
	winBytes int64
	lastBuf  *[]byte // the buffer the reader's alloc handed out last
	prevBuf  *[]byte // the one before it, while a growing payload is copied out of it
	shared   uint64  // with inPlace: the arena offset of the payload read last
	isShared bool    // whether the payload read last is in the arena
	alloc    func(int) []byte
	partial  int64 // bytes allocated for the frame being read (the reader's)

	// The frame timeout (the reader's): see waitFrame.
	frameTimeout time.Duration
	frameArmed   bool
	frameMark    uint64 // bytes read when the deadline was set

	queued   atomic.Int64  // payload bytes delivered and not yet answered
	more     atomic.Bool   // the reader holds input beyond the frame it handles: batch writes
	held     atomic.Bool   // answers or credit wait for the reader to write them (byHolder)
	accepted atomic.Uint64 // Posts delivered to the loop

	rd *reader // the reader delivering a request: set and read by the reading goroutine only

	mu        sync.Mutex
	pendMsgs  int64 // credit to return
	pendBytes int64
	ended     bool
	drained   bool              // the Drain frame was sent
	gen       uint64            // the reading goroutine's generation
	current   *dispatch.Request // being delivered by the reader

	wg sync.WaitGroup // reader goroutines
}

func (s *Server) newConn(c net.Conn, peer transport.Peer, h *wire.Hello) *serverConn {
	sc := &serverConn{srv: s, conn: c, peerMax: h.MaxSize,
		winMsgs: int64(s.cfg.QueueLenOr()), winBytes: s.cfg.QueueBytesOr()}
	sc.src = s.loop.Attach(peer, sc, s.cfg.QueueLenOr())
	sc.src.OnEvict(sc.evict)
	sc.r = newFrameReader(withPoll(c), driver.MaxSizeOr(s.cfg.MaxSize))
	sc.frameTimeout = s.cfg.FrameTimeoutOr()
	if sc.frameTimeout > 0 {
		sc.r.waiting = sc.waitFrame
	}
	sc.w = newFrameWriter(c, answerLimit(sc.winBytes, sc.winMsgs, h.MaxSize), DefaultStallTimeout,
		sc.writeFailed, func(n int64) { sc.src.Hold(n, true) })
	sc.alloc = func(n int) []byte {
		sc.src.Hold(int64(n)-sc.partial, true) // a frame still arriving; the old buffer is dropped
		sc.partial = int64(n)
		if !s.cfg.ReuseBuffers {
			return make([]byte, n) // the handler's to keep
		}
		sc.prevBuf, sc.lastBuf = sc.lastBuf, bufpool.Get(n)
		return *sc.lastBuf
	}
	sc.r.grown = func() { // the buffer before lastBuf is copied out
		bufpool.Put(sc.prevBuf)
		sc.prevBuf = nil
	}
	if a := arenaOf(c); a != nil {
		sc.w.arena = a
		sc.r.resolve = copyOut(a, sc.alloc)
		if s.cfg.InPlace {
			sc.r.resolve = sc.inPlace
		}
	}
	return sc
}

// writeFailed ends the connection when its answers cannot be written; past
// their bound or the stall timeout (the peer does not read) the memory they
// held is returned.
func (sc *serverConn) writeFailed(err error) {
	if errors.Is(err, transport.ErrLimit) || errors.Is(err, os.ErrDeadlineExceeded) {
		sc.src.Reclaim()
	}
	sc.end(err)
}

// answerLimit bounds the bytes of answers a connection's peer may leave
// unread. Its credit lets it queue a window of requests (never less than
// one maximal answer), and a header for every message of credit; but the
// answers to a window may leave in one vectored write that holds them all
// until it returns, while the peer, having read the first, already sends
// the next request: a second window may queue behind it, as on the
// sender's side (sendLimit). Two windows, then, and room for the frames
// that carry no answer (credit, syncack). Past it the connection ends
// (ErrLimit): see docs/PROTOCOL.md, "Memory".
func answerLimit(credit, msgs int64, peerMax uint32) int {
	return int(2*(max(credit, int64(peerMax))+msgs*wire.HeaderSize)) + directMin
}

// arrived is called once a frame is read whole: its bytes are no longer
// held for a peer that may not finish, and n of them are the message's.
func (sc *serverConn) arrived() (n int64) {
	n, sc.partial = sc.partial, 0
	sc.src.Unstick(n)
	return n
}

// waitFrame runs before the reader waits for more of a frame it has begun:
// the rest must start arriving within the frame timeout (see readLoop).
// The deadline stays set once the frame is whole; a timeout between frames
// just clears it.
func (sc *serverConn) waitFrame() {
	if sc.frameArmed {
		return
	}
	sc.frameArmed, sc.frameMark = true, sc.r.got
	sc.conn.SetReadDeadline(time.Now().Add(sc.frameTimeout))
}

// isTimeout reports whether a read failed at its deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// errFrameStalled ends a connection whose frame stopped arriving.
var errFrameStalled = errors.New("a frame stopped arriving")

// timedOut decides on a read that hit the frame deadline: nil to read on
// (between frames, or the frame made progress), else the error that ends
// the connection.
func (sc *serverConn) timedOut() error {
	sc.frameArmed = false
	switch {
	case !sc.r.mid():
		sc.conn.SetReadDeadline(time.Time{})
		return nil
	case sc.r.got != sc.frameMark:
		sc.waitFrame()
		return nil
	}
	return fmt.Errorf("%w: %w: no byte of a %s frame for %v (%d of %d payload bytes arrived)",
		transport.ErrProtocol, errFrameStalled, sc.r.hdr.Kind, sc.frameTimeout, sc.r.dstN, sc.r.want)
}

// inlineGrace is how long a handler may run inline in the reader before
// another goroutine takes over reading, so that Flush, Cancel and peer death
// are still seen promptly.
const inlineGrace = 2 * time.Millisecond

// reader is one goroutine's turn at reading the connection. Only one reads
// at a time; a reader busy with an inline handler hands the role to a new
// one (takeover) and exits when its handler returns.
//
// The watchdog is armed once and re-checks when it fires, rather than being
// reset and stopped around every inline handler: that per-message timer
// more than doubled a ~10µs Unix-socket round trip (postbox bench, see
// docs/BENCHMARKS.md). Now a busy connection's timer fires at most once per
// inlineGrace, and a takeover still comes inlineGrace after the handler
// began.
type reader struct {
	gen      uint64
	watchdog *time.Timer  // fires check while an inline handler may run long
	armed    atomic.Bool  // the watchdog is pending
	since    atomic.Int64 // when the running inline handler began (a stats.Now reading); 0 when none
	buffered bool         // the frame being handled was whole in the buffer before it was read (dispatch.Request.Buffered)
}

// arm makes sure the watchdog fires within d.
func (rd *reader) arm(d time.Duration) {
	if !rd.armed.Swap(true) {
		rd.watchdog.Reset(d)
	}
}

// check runs when the watchdog fires: it hands reading on if the current
// inline handler has run for inlineGrace, re-arms for the rest of the grace
// if one runs for less, and stays quiet when none runs.
func (sc *serverConn) check(rd *reader) {
	rd.armed.Store(false) // before reading since: a Begin racing with us re-arms
	since := rd.since.Load()
	if since == 0 {
		return
	}
	if ran := stats.Now() - time.Duration(since); ran < inlineGrace {
		rd.arm(inlineGrace - ran)
		return
	}
	sc.takeover(rd.gen, nil)
}

// readLoop reads frames as generation gen until the stream ends or another
// goroutine takes over reading. The caller has added to sc.wg.
func (sc *serverConn) readLoop(gen uint64) {
	defer sc.wg.Done()
	rd := &reader{gen: gen}
	rd.watchdog = time.AfterFunc(time.Hour, func() { sc.check(rd) })
	rd.watchdog.Stop()
	defer rd.watchdog.Stop()
	for {
		rd.buffered = sc.r.whole() // no wait for the frame: its run is timed from the last one's end
		if sc.held.Load() && !rd.buffered {
			sc.held.Store(false)
			sc.w.flushHeld() // the answers to what it read: before it waits for more
		}
		sc.lastBuf, sc.isShared = nil, false
		h, p, err := sc.r.next(sc.alloc)
		if err != nil && sc.frameArmed && isTimeout(err) {
			if err = sc.timedOut(); err == nil {
				continue // the frame resumes where it stopped
			}
		}
		if err != nil {
			bufpool.Put(sc.lastBuf)
			sc.giveBack(sc.lastAux())
			sc.src.Hold(-sc.arrived(), false)
			sc.fail(err, &h)
			return
		}
		if n := sc.arrived(); h.Kind != wire.KindSend && h.Kind != wire.KindPost {
			sc.src.Hold(-n, false) // read, acted on, dropped
		}
		if err := sc.handle(rd, &h, p); err != nil {
			if err != errTakenOver {
				sc.fail(err, &h)
			}
			return
		}
	}
}

// errTakenOver ends a reader whose role another goroutine took.
var errTakenOver = errors.New("reading taken over")

// handle acts on one frame from the sender.
func (sc *serverConn) handle(rd *reader, h *wire.Header, p []byte) error {
	switch h.Kind {
	case wire.KindSend, wire.KindPost:
		return sc.deliver(rd, h, p)
	case wire.KindCancel:
		sc.src.Cancel(h.Seq, context.Canceled)
		return nil
	case wire.KindSync:
		return sc.w.frame(&wire.Header{Kind: wire.KindSyncAck, Seq: h.Seq, W: int64(sc.accepted.Load())}, nil, true)
	case wire.KindGoaway:
		// The sender is closing and says why: the connection ends as
		// if it had closed, not as a protocol error.
		return fmt.Errorf("%w: sender closed the connection: %.*s", transport.ErrPeerGone, maxErrorText, p)
	}
	return fmt.Errorf("%w: unexpected %s frame from the sender", transport.ErrProtocol, h.Kind)
}

// deliver hands a Send or Post to the loop, inline when the loop is idle.
func (sc *serverConn) deliver(rd *reader, h *wire.Header, p []byte) error {
	buf, aux := sc.lastBuf, sc.lastAux() // the reader's fields belong to a new reader after a takeover
	r := dispatch.NewRequest()
	r.Msg = transport.Message{ID: h.ID, W: h.W, L: h.L, Data: p}
	r.Seq = h.Seq
	r.Size = len(p)
	r.Aux = aux
	r.Buffered = rd.buffered
	if h.Timeout > 0 {
		r.Deadline = time.Now().Add(time.Duration(h.Timeout))
	}
	if sc.queued.Add(int64(len(p))) > sc.winBytes {
		sc.queued.Add(-int64(len(p)))
		sc.src.Hold(-int64(len(p)), false)
		bufpool.Put(buf)
		sc.giveBack(aux)
		dispatch.Free(r)
		return fmt.Errorf("%w: sender exceeded its byte credit", transport.ErrProtocol)
	}
	post := h.Kind == wire.KindPost
	if post {
		sc.accepted.Add(1)
	}
	// Run inline when the loop is free: a round trip then costs no
	// hand-off. While more requests are already buffered, the reader
	// writes answers and credit once it has handled them (see writeMode),
	// so the answers to one read leave in one write.
	sc.more.Store(sc.r.buffered())
	sc.rd = rd // for Begin, which runs in this goroutine if r runs inline
	err := sc.src.Deliver(r, true)
	rd.since.Store(0)
	sc.mu.Lock()
	taken := sc.gen != rd.gen
	if !taken {
		sc.current = nil
	}
	sc.mu.Unlock()
	if err != nil {
		sc.queued.Add(-int64(len(p)))
		sc.src.Hold(-int64(len(p)), false)
		if post {
			sc.accepted.Add(^uint64(0))
		}
		bufpool.Put(buf)
		sc.giveBack(aux)
		dispatch.Free(r)
	}
	switch {
	case taken:
		sc.w.kick()         // what it held: the new reader may be waiting for input
		return errTakenOver // only an inline run, which cannot fail, is taken over
	case err == nil:
		return nil
	case errors.Is(err, transport.ErrQueueFull):
		return fmt.Errorf("%w: sender exceeded its credit", transport.ErrProtocol)
	case err == transport.ErrDraining:
		sc.refuse(h)
		return nil
	}
	return err
}

// refuse answers a message that arrived after Shutdown began: a Send gets
// an error frame (returning its credit); a Post is not counted as accepted,
// so the sender's Flush reports it lost. Either way the sender learns that
// the endpoint is draining.
func (sc *serverConn) refuse(h *wire.Header) {
	sc.drainNotice()
	if h.Kind == wire.KindSend {
		text := transport.ErrDraining.(*transport.RemoteError).Message
		sc.w.frame(&wire.Header{Kind: wire.KindError, ID: uint32(transport.CodeClosed), Seq: h.Seq}, []byte(text), false)
	}
}

// drainNotice tells the sender, once, that the endpoint takes no new
// messages.
func (sc *serverConn) drainNotice() {
	sc.mu.Lock()
	done := sc.drained || sc.ended
	sc.drained = true
	sc.mu.Unlock()
	if !done {
		sc.w.frame(&wire.Header{Kind: wire.KindDrain}, nil, false)
	}
}

// Respond implements dispatch.Responder.
//
// A Send's bytes count against its sender's credit, and the endpoint's
// memory, until its answer is handed to the writer, which counts the
// answer's bytes from then on (see answerLimit). The sender frees the
// credit when it has read the answer, which it may do before a write of it
// returns here, and then send again at once (to a reader that took over
// while this one writes): counting the request until then would take that
// for a sender past its credit, and count an echo's bytes twice. A sender
// that does not read its answers meets the bound on unread answers instead
// of the endpoint running out of memory.
func (sc *serverConn) Respond(r *dispatch.Request, rep transport.Reply, err error) {
	buf, _ := r.Aux.(*[]byte)
	sc.queued.Add(-int64(r.Size))
	sc.src.Hold(-int64(r.Size), false)
	if r.IsSend() {
		sc.answer(r, rep, err, buf) // the answer may be the request's bytes (an echo): buf goes once it is written
		buf = nil
	} else {
		sc.Unborrow(rep.Data) // a Post's handler answered into a borrowed buffer: nobody reads it
	}
	switch {
	case r.IsSend():
	case err == transport.ErrClosed:
		// Dropped unhandled by a closing endpoint: credit would tell the
		// sender it was handled. It stays unconfirmed (lost) there.
	default:
		sc.returnCredit(r)
	}
	bufpool.Put(buf)
	sc.giveBack(r.Aux) // an answer written from it is out: writes to shared memory copy
	dispatch.Free(r)
}

// answer writes the reply or error for a Send. Its credit returns with it.
// A large reply is written from the handler's slice, never copied; buf,
// the request's pooled buffer if any, is recycled once it is written.
func (sc *serverConn) answer(r *dispatch.Request, rep transport.Reply, err error, buf *[]byte) {
	if err == nil && len(rep.Data) > int(sc.peerMax) {
		err = fmt.Errorf("%w: reply of %d bytes, sender accepts %d", transport.ErrTooLarge, len(rep.Data), sc.peerMax)
	}
	if err != nil {
		sc.Unborrow(rep.Data) // data borrowed for a reply that is not sent
		text := err.Error()
		var re *transport.RemoteError
		if errors.As(err, &re) {
			text = re.Message
		}
		text = text[:min(len(text), maxErrorText, int(sc.peerMax))]
		h := wire.Header{Kind: wire.KindError, ID: uint32(transport.CodeOf(err)), Seq: r.Seq}
		sc.w.frameBy(&h, []byte(text), sc.writeMode(r))
		bufpool.Put(buf)
		return
	}
	h := wire.Header{Kind: wire.KindReply, Seq: r.Seq, W: rep.Result}
	sc.w.frameRef(&h, rep.Data, sc.writeMode(r), buf)
}

// writeMode says who writes r's answer or credit. When r ran inline in the
// reader, the reader does: at once if no more requests are buffered (a
// lone caller's round trip), else once it has handled what it holds, so
// the answers to one read leave in one write (byHolder, noted in sc.held:
// readLoop flushes before it waits for more, and a reader taken over kicks
// the flusher).
// The flusher writes the answers of requests that ran on the loop's
// goroutine.
func (sc *serverConn) writeMode(r *dispatch.Request) writeMode {
	switch {
	case !r.Inline():
		return byFlusher
	case sc.more.Load():
		sc.held.Store(true) // readLoop clears it when it writes what is held
		return byHolder
	}
	return byCaller
}

// returnCredit frees a handled Post's queue space, telling the sender in
// batches: when a quarter of the window is free or the queue ran empty.
func (sc *serverConn) returnCredit(r *dispatch.Request) {
	sc.mu.Lock()
	sc.pendMsgs++
	sc.pendBytes += int64(r.Size)
	if sc.pendMsgs < sc.winMsgs/4 && sc.pendBytes < sc.winBytes/4 && (sc.more.Load() || sc.src.Busy()) {
		sc.mu.Unlock()
		return
	}
	h := wire.Header{Kind: wire.KindCredit, ID: uint32(sc.pendMsgs), W: sc.pendBytes}
	sc.pendMsgs, sc.pendBytes = 0, 0
	sc.mu.Unlock()
	sc.w.frameBy(&h, nil, sc.writeMode(r))
}

// Begin implements dispatch.Responder: r runs inline in the reader, which
// hands reading on if the handler is still busy after inlineGrace. It is
// called in the reader's goroutine.
func (sc *serverConn) Begin(r *dispatch.Request, start time.Duration) {
	rd := sc.rd // set by deliver, in this goroutine
	sc.mu.Lock()
	sc.current = r // r is its source's running request now: later ones queue behind it
	sc.mu.Unlock()
	rd.since.Store(max(int64(start), 1))
	rd.arm(inlineGrace)
}

// Watch implements dispatch.Responder: a handler running inline in the
// reader wants to see cancellation, so another goroutine reads meanwhile.
func (sc *serverConn) Watch(r *dispatch.Request) {
	sc.mu.Lock()
	gen := sc.gen
	sc.mu.Unlock()
	sc.takeover(gen, r)
}

// takeover starts a new reader while reader gen is busy delivering (r, if
// given); that reader exits once its delivery returns. It is safe only while
// the reader is inside an inline run, which sc.current tells: set by Begin
// once r is its source's running request (so whatever the new reader
// delivers queues behind it), cleared when the run returns. Taking over
// earlier, between reading a frame and delivering it, would let the new
// reader deliver the next frame first.
func (sc *serverConn) takeover(gen uint64, r *dispatch.Request) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.ended || sc.gen != gen || sc.current == nil || r != nil && sc.current != r {
		return
	}
	sc.gen++
	sc.current = nil
	sc.wg.Add(1)
	go sc.readLoop(sc.gen)
}

// fail ends the connection after a read error, telling the sender why when
// it is the sender's fault.
func (sc *serverConn) fail(err error, h *wire.Header) {
	switch {
	case sc.src.Evicted():
		return // counted already; evict tells the peer why, then ends the connection
	case errors.Is(err, errFrameStalled):
		sc.src.CountError(stats.KindStalled)
		sc.src.Reclaim()
		sc.goaway(transport.CodeProtocol, err.Error())
	case errors.Is(err, transport.ErrTooLarge):
		sc.src.CountError(stats.KindTooLarge)
		sc.goaway(transport.CodeTooLarge, err.Error())
	case errors.Is(err, transport.ErrProtocol):
		sc.src.CountError(stats.KindProtocol)
		sc.goaway(transport.CodeProtocol, err.Error())
	case errors.Is(err, transport.ErrClosed):
		sc.goaway(transport.CodeClosed, "endpoint closing")
	default:
		sc.end(fmt.Errorf("%w: %v", transport.ErrPeerGone, err))
		return
	}
	sc.srv.log.Info("postbox: connection closed", "endpoint", sc.srv.name,
		"pid", sc.src.Peer().PID, "uid", sc.src.Peer().UID, "kind", h.Kind, "err", err)
}

// goawayGrace bounds how long a closing connection waits for its last
// frames (answers already queued, then the goaway) to be written.
const goawayGrace = 100 * time.Millisecond

// goaway tells the sender why the connection ends, after any answers still
// queued for it, then ends it.
func (sc *serverConn) goaway(code transport.Code, reason string) {
	reason = reason[:min(len(reason), maxErrorText)]
	sc.conn.SetWriteDeadline(time.Now().Add(goawayGrace))
	sc.w.last(&wire.Header{Kind: wire.KindGoaway, ID: uint32(code)}, []byte(reason))
	sc.w.settle(goawayGrace)
	sc.end(fmt.Errorf("%w: %s", transport.ErrPeerGone, reason))
}

// evict ends a connection whose peer holds the endpoint's memory without
// reading: it is told why, if it takes the goaway within evictGrace, and
// not waited for longer (it runs in a goroutine of its own).
func (sc *serverConn) evict(reason string) {
	reason = reason[:min(len(reason), maxErrorText)]
	sc.conn.SetWriteDeadline(time.Now().Add(evictGrace))
	sc.w.last(&wire.Header{Kind: wire.KindGoaway, ID: uint32(transport.CodeQueueFull)}, []byte(reason))
	sc.w.settle(evictGrace)
	sc.srv.log.Info("postbox: connection ended", "endpoint", sc.srv.name, "pid", sc.src.Peer().PID, "uid", sc.src.Peer().UID, "reason", reason)
	sc.end(fmt.Errorf("%w: %s", transport.ErrPeerGone, reason))
}

// evictGrace is how long an evicted connection's goaway may take to write.
const evictGrace = 10 * time.Millisecond

// end closes the connection: the loop stops taking its messages and cancels
// its running Send. Accepted Posts are still handled.
func (sc *serverConn) end(cause error) {
	sc.mu.Lock()
	if sc.ended {
		sc.mu.Unlock()
		return
	}
	sc.ended = true
	sc.mu.Unlock()
	sc.src.Detach(context.Canceled)
	sc.conn.Close()
	sc.srv.log.Debug("postbox: connection ended", "endpoint", sc.srv.name, "pid", sc.src.Peer().PID, "cause", cause)
}

// sharedPayload is a request's Aux when its Data is in the arena (inPlace):
// the offset to give back once the handler is done.
type sharedPayload uint64

// inPlace resolves a shared payload where it lies, for the handler to read
// there until it returns; it counts against the endpoint's memory as a
// copy would.
func (sc *serverConn) inPlace(off, n uint64) ([]byte, error) {
	p, err := sc.w.arena.Resolve(off, n)
	if err != nil {
		return nil, err
	}
	sc.src.Hold(int64(n)-sc.partial, true)
	sc.partial = int64(n)
	sc.shared, sc.isShared = off, true
	return p, nil
}

// lastAux is what the request for the frame read last keeps: its pooled
// buffer, or its place in the arena.
func (sc *serverConn) lastAux() any {
	if sc.isShared {
		return sharedPayload(sc.shared)
	}
	return sc.lastBuf
}

// giveBack returns a request's payload to the arena if it is there.
func (sc *serverConn) giveBack(aux any) {
	if s, ok := aux.(sharedPayload); ok {
		if err := sc.w.arena.Return(uint64(s)); err != nil {
			sc.end(err)
		}
	}
}
