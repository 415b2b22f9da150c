package session

import (
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/postbox-ipc/postbox/internal/bufpool"
	"github.com/postbox-ipc/postbox/internal/transport"

	"github.com/postbox-ipc/postbox/internal/wire"
)

// directMin is the payload size from which a frame is written straight from
// the caller's slice (writev) instead of being copied into the buffer.
const directMin = 64 << 10

// Frames are copied into chunks from bufpool, which go back to it once
// written. A burst fills a chain of them, written in one vectored write,
// instead of one buffer that doubles, and copies itself, as it grows: each
// chunk is twice its predecessor, from minChunk to chunkMax, and an idle
// writer holds none.
const (
	minChunk = 4 << 10
	chunkMax = 256 << 10
)

// TryWriter is implemented by streams that can take a whole frame at once
// without blocking, or refuse it, such as a shared-memory ring.
type TryWriter interface {
	// TryWrite writes hdr then payload, entirely, if they fit without
	// waiting, and reports whether it did; it never writes a part. An
	// error means the stream failed.
	TryWrite(hdr, payload []byte) (bool, error)
}

// frameWriter coalesces frames from many goroutines into few writes. A frame
// appended while a write is under way goes out with the next write; a caller
// that finds the stream idle either writes itself (low latency) or wakes the
// flusher goroutine (never blocks), as it chooses. On a stream that is a
// TryWriter, a caller that finds the writer idle first tries to write its
// frame straight from its own slice: no copy into the buffer and no hand-off
// to the flusher, yet no waiting either.
type frameWriter struct {
	dst    io.Writer
	try    TryWriter // dst, if it is one
	arena  Arena     // set by the owner if payloads may travel by descriptor
	onFail func(error)
	limit  int           // most bytes that may wait; beyond it the peer is not reading
	stall  time.Duration // the flusher's write deadline; 0 for none
	hold   func(int64)   // told of every change in the bytes waiting (budget); may be nil

	mu      sync.Mutex
	idle    sync.Cond // signalled when writing becomes false
	hdr     [wire.HeaderSize]byte
	vec     [3][]byte   // owned by whoever holds the writing role
	bufs    net.Buffers // vec, as WriteTo consumes it
	buf     []byte      // the chunk being filled
	bufP    *[]byte     // its bufpool handle
	nextCap int         // the size of the next chunk
	refs    [][]byte    // queued ahead of buf: chunks of frames, and payloads written from their owners' slices (frameRef)
	refsN   int         // bytes in refs
	recycle []*[]byte   // buffers of the payloads in refs, returned to bufpool once written
	spareQ  [][]byte    // an emptied refs, for reuse
	writing bool
	pending int // bytes queued or being written: len(buf) plus what a write under way took
	err     error
	sealed  bool // a last frame is queued: nothing may follow it

	kickC chan struct{}
	stop  chan struct{}
	wg    sync.WaitGroup
}

func newFrameWriter(dst io.Writer, limit int, stall time.Duration, onFail func(error), hold func(int64)) *frameWriter {
	w := &frameWriter{dst: dst, onFail: onFail, limit: limit, stall: stall, hold: hold,
		kickC: make(chan struct{}, 1), stop: make(chan struct{})}
	w.try, _ = dst.(TryWriter)
	w.idle.L = &w.mu
	w.wg.Add(1)
	go w.flusher()
	return w
}

// close stops the flusher goroutine and waits for it. Frames not yet written
// are discarded; the caller closes the stream.
func (w *frameWriter) close() {
	w.mu.Lock()
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	w.mu.Unlock()
	w.wg.Wait()
	w.mu.Lock()
	w.drop() // discarded
	w.mu.Unlock()
}

// queued reports whether frames wait to be written. w.mu is held.
func (w *frameWriter) queued() bool { return len(w.buf) > 0 || len(w.refs) > 0 }

// drop discards every queued frame. w.mu is held.
func (w *frameWriter) drop() {
	w.count(-len(w.buf) - w.refsN)
	bufpool.Put(w.bufP)
	w.buf, w.bufP = nil, nil
	w.releaseRefs(w.refs, w.recycle)
	w.refs, w.refsN, w.recycle = nil, 0, nil
}

// errSealed refuses frames after the last one.
var errSealed = fmt.Errorf("%w: the connection is closing", transport.ErrClosed)

// writeMode says who writes a queued frame when nobody is writing.
type writeMode uint8

const (
	byFlusher writeMode = iota // the flusher goroutine, woken for it
	byCaller                   // the caller, at once
	// byHolder: the caller, later: it is the connection's reader, with
	// more input buffered, and calls flushHeld before it waits for more
	// (or kick, should it stop reading first). The answers to one read
	// then leave in one write, and no goroutine is woken to write them.
	byHolder
)

// modeOf is byCaller if now is set, byFlusher if not.
func modeOf(now bool) writeMode {
	if now {
		return byCaller
	}
	return byFlusher
}

// frame queues one frame. With now set, the caller writes it (and whatever
// is queued) itself if nobody else is writing; otherwise the flusher does.
func (w *frameWriter) frame(h *wire.Header, payload []byte, now bool) error {
	return w.put(h, payload, modeOf(now), false, false, nil)
}

// frameBy is frame with the writer chosen by mode.
func (w *frameWriter) frameBy(h *wire.Header, payload []byte, mode writeMode) error {
	return w.put(h, payload, mode, false, false, nil)
}

// frameRef is frameBy for a payload its owner leaves untouched until it is
// written (an answer): one of directMin bytes or more is then queued by
// reference, not copied, and written from its own slice in the same write
// as the frames around it. buf, if not nil, is the pooled buffer payload is
// in: it goes back to bufpool once the payload is written or dropped.
func (w *frameWriter) frameRef(h *wire.Header, payload []byte, mode writeMode, buf *[]byte) error {
	return w.put(h, payload, mode, false, true, buf)
}

// last queues a final frame (a goaway) and writes it: frames queued after
// it are refused, so it is the last thing the peer reads.
func (w *frameWriter) last(h *wire.Header, payload []byte) error {
	return w.put(h, payload, byCaller, true, false, nil)
}

// flushHeld writes what is queued, if nobody is writing: the holder's turn
// (byHolder).
func (w *frameWriter) flushHeld() error {
	w.mu.Lock()
	if w.writing || !w.queued() || w.err != nil {
		w.mu.Unlock()
		return nil
	}
	w.writing = true
	w.mu.Unlock()
	return w.flush()
}

// kick wakes the flusher for whatever is queued: a holder that stops
// reading leaves its frames to it.
func (w *frameWriter) kick() {
	select {
	case w.kickC <- struct{}{}:
	default:
	}
}

func (w *frameWriter) put(h *wire.Header, payload []byte, mode writeMode, seal, ref bool, buf *[]byte) error {
	now := mode == byCaller
	if w.arena != nil && len(payload) > 0 && carriesData(h.Kind) {
		var err error
		if payload, err = w.share(h, payload); err != nil {
			bufpool.Put(buf)
			w.fail(err)
			return err
		}
	}
	h.Len = uint32(len(payload))
	if now && !seal && len(payload) >= directMin {
		err := w.direct(h, payload)
		bufpool.Put(buf)
		return err
	}
	ref = ref && len(payload) >= directMin && w.try == nil
	if !ref && buf != nil {
		defer bufpool.Put(buf) // copied, or refused, by the time put returns
	}
	w.mu.Lock()
	if err := w.refusal(); err != nil {
		w.mu.Unlock()
		if ref {
			bufpool.Put(buf)
		}
		return err
	}
	w.sealed = seal
	if size := wire.HeaderSize + len(payload); w.pending+size > w.limit && !seal {
		w.mu.Unlock()
		err := fmt.Errorf("%w: %d bytes wait to be written, %d more would pass the bound of %d: the peer is not reading", transport.ErrLimit, w.pending, size, w.limit)
		w.fail(err)
		if ref {
			bufpool.Put(buf)
		}
		return err
	}
	if w.try != nil && !w.writing && !w.queued() {
		return w.tryFrame(h, payload, now) // a ring takes it without a system call: nothing to hold
	}
	if ref {
		w.queueRef(h, payload, buf)
	} else {
		w.grow(wire.HeaderSize + len(payload))
		n := len(w.buf)
		w.buf = w.buf[:n+wire.HeaderSize]
		h.Put(w.buf[n:])
		w.buf = append(w.buf, payload...)
		w.count(wire.HeaderSize + len(payload))
	}
	if w.writing || mode == byHolder {
		w.mu.Unlock()
		return nil
	}
	if mode == byFlusher {
		w.mu.Unlock()
		w.kick()
		return nil
	}
	w.writing = true
	w.mu.Unlock()
	return w.flush()
}

// queueRef queues a frame whose payload is written from its own slice: the
// header closes the chunk of frames before it, and the payload follows
// as a segment of its own. w.mu is held.
func (w *frameWriter) queueRef(h *wire.Header, payload []byte, buf *[]byte) {
	w.grow(wire.HeaderSize)
	n := len(w.buf)
	w.buf = w.buf[:n+wire.HeaderSize]
	h.Put(w.buf[n:])
	w.sealChunk()
	w.refs = append(w.refs, payload)
	w.refsN += len(payload)
	w.count(wire.HeaderSize + len(payload))
	if buf != nil {
		w.recycle = append(w.recycle, buf)
	}
}

// sealChunk moves the chunk being filled to the queued segments; the next
// frame starts a new one. w.mu is held.
func (w *frameWriter) sealChunk() {
	if w.refs == nil {
		w.refs, w.spareQ = w.spareQ[:0], nil
	}
	w.refs = append(w.refs, w.buf)
	w.refsN += len(w.buf)
	if w.bufP != nil {
		w.recycle = append(w.recycle, w.bufP)
	}
	w.buf, w.bufP = nil, nil
}

// take removes every queued frame, as the segments of one write, and the
// buffers to recycle once it is written. w.mu is held.
func (w *frameWriter) take() (segs [][]byte, n int, recycle []*[]byte) {
	if len(w.buf) > 0 {
		w.sealChunk()
	}
	segs, n, recycle = w.refs, w.refsN, w.recycle
	w.refs, w.refsN, w.recycle = nil, 0, nil
	return segs, n, recycle
}

// releaseRefs recycles what a write of segs no longer needs. w.mu is held.
func (w *frameWriter) releaseRefs(segs [][]byte, recycle []*[]byte) {
	for _, b := range recycle {
		bufpool.Put(b)
	}
	clear(segs[:cap(segs)]) // a direct write appended its own beyond len
	if cap(segs) <= 64 {
		w.spareQ = segs[:0]
	}
}

// tryFrame writes a frame straight from the caller's slice if the stream
// takes it without waiting, and queues it otherwise. w.mu is held, the
// writer is idle and its buffer empty; tryFrame unlocks.
func (w *frameWriter) tryFrame(h *wire.Header, payload []byte, now bool) error {
	w.writing = true
	w.mu.Unlock()
	h.Put(w.hdr[:])
	ok, err := w.try.TryWrite(w.hdr[:], payload)
	if err != nil {
		w.fail(err)
		return err
	}
	w.mu.Lock()
	if !ok {
		w.grow(len(w.hdr) + len(payload))
		w.buf = append(append(w.buf, w.hdr[:]...), payload...)
		w.count(len(w.hdr) + len(payload))
	}
	if now && w.queued() {
		w.mu.Unlock()
		return w.flush() // ours, and whatever others queued meanwhile
	}
	w.writing = false
	w.idle.Broadcast()
	queued := w.queued()
	w.mu.Unlock()
	if queued {
		w.kick()
	}
	return nil
}

// settle waits until every queued frame is written, the writer fails, or d
// passes, whichever comes first.
func (w *frameWriter) settle(d time.Duration) {
	expired := false
	t := time.AfterFunc(d, func() {
		w.mu.Lock()
		expired = true
		w.idle.Broadcast()
		w.mu.Unlock()
	})
	defer t.Stop()
	w.mu.Lock()
	for (w.writing || w.queued()) && w.err == nil && !expired {
		w.idle.Wait()
	}
	w.mu.Unlock()
}

// direct writes a large frame from the caller's slice, after whatever is
// already queued, without copying the payload.
func (w *frameWriter) direct(h *wire.Header, payload []byte) error {
	size := wire.HeaderSize + len(payload)
	w.mu.Lock()
	if err := w.refusal(); err != nil {
		w.mu.Unlock()
		return err
	}
	if w.pending+size > w.limit {
		w.mu.Unlock()
		err := fmt.Errorf("%w: %d bytes wait to be written, %d more would pass the bound of %d: the peer is not reading", transport.ErrLimit, w.pending, size, w.limit)
		w.fail(err)
		return err
	}
	w.count(size) // the caller's slice is held until the peer reads it
	for w.writing && w.err == nil {
		w.idle.Wait()
	}
	if err := w.refusal(); err != nil {
		w.count(-size)
		w.mu.Unlock()
		return err
	}
	w.writing = true
	var segs [][]byte
	var recycle []*[]byte
	pending, pendingP, queuedN := w.buf, w.bufP, len(w.buf)
	if len(w.refs) > 0 {
		segs, queuedN, recycle = w.take()
		pending, pendingP = nil, nil
	} else {
		w.buf, w.bufP = nil, nil
	}
	w.mu.Unlock()
	h.Put(w.hdr[:])
	if segs == nil {
		w.vec = [3][]byte{pending, w.hdr[:], payload}
		w.bufs = w.vec[:]
	} else {
		w.bufs = append(segs, w.hdr[:], payload)
	}
	w.stallDeadline(true) // a peer that does not read cannot hold the caller for ever
	_, err := w.bufs.WriteTo(w.dst)
	w.stallDeadline(false)
	w.vec, w.bufs = [3][]byte{}, nil
	w.mu.Lock()
	w.count(-queuedN - size)
	if segs != nil {
		w.releaseRefs(segs, recycle)
	} else {
		bufpool.Put(pendingP)
	}
	w.mu.Unlock()
	if err != nil {
		w.fail(err)
		return err
	}
	return w.flush()
}

// refusal is why no frame may be queued now, if any. w.mu is held.
func (w *frameWriter) refusal() error {
	if w.err != nil {
		return w.err
	}
	if w.sealed {
		return errSealed
	}
	return nil
}

// flush writes until the buffer is empty. The caller has set w.writing.
func (w *frameWriter) flush() error {
	w.mu.Lock()
	for w.queued() && w.err == nil {
		var err error
		if len(w.refs) > 0 {
			err = w.writeRefs()
		} else {
			out, outP := w.buf, w.bufP
			w.buf, w.bufP = nil, nil
			w.mu.Unlock()
			_, err = w.dst.Write(out)
			w.mu.Lock()
			w.count(-len(out))
			bufpool.Put(outP)
		}
		if err != nil {
			w.mu.Unlock()
			w.fail(err)
			return err
		}
	}
	err := w.err
	w.writing = false
	w.nextCap = minChunk // the burst is over
	w.idle.Broadcast()
	w.mu.Unlock()
	return err
}

// writeRefs writes everything queued in one vectored write, payloads
// from their own slices. w.mu is held, and again on return.
func (w *frameWriter) writeRefs() error {
	segs, n, recycle := w.take()
	w.mu.Unlock()
	bufs := net.Buffers(segs)
	_, err := bufs.WriteTo(w.dst)
	w.mu.Lock()
	w.count(-n)
	w.releaseRefs(segs, recycle)
	return err
}

// grow makes room in w.buf for n more bytes: a full chunk is queued as it
// is and a new one, twice as large up to chunkMax (or n, if larger),
// started. w.mu is held.
func (w *frameWriter) grow(n int) {
	if len(w.buf)+n <= cap(w.buf) {
		return
	}
	if len(w.buf) > 0 {
		w.sealChunk()
		w.nextCap = min(2*w.nextCap, chunkMax)
	} else {
		bufpool.Put(w.bufP) // empty, and too small
	}
	p := bufpool.Get(max(n, w.nextCap, minChunk))
	w.buf, w.bufP = (*p)[:0], p
}

// count adds n to the bytes waiting, telling the budget. w.mu is held.
func (w *frameWriter) count(n int) {
	w.pending += n
	if w.hold != nil && n != 0 {
		w.hold(int64(n))
	}
}

// fail makes err sticky, releases the writing role and reports it once.
// The frames still queued are dropped (a write under way releases its own
// when it returns).
func (w *frameWriter) fail(err error) {
	w.mu.Lock()
	first := w.err == nil
	if first {
		w.err = err
	}
	w.drop()
	w.writing = false
	w.idle.Broadcast()
	w.mu.Unlock()
	if first && w.onFail != nil {
		w.onFail(err)
	}
}

// stallDeadline sets (on) or clears the stall timeout on the stream, if it
// has deadlines, around a write that may wait on the peer.
func (w *frameWriter) stallDeadline(on bool) {
	d, ok := w.dst.(interface{ SetWriteDeadline(time.Time) error })
	if !ok || w.stall <= 0 {
		return
	}
	var t time.Time
	if on {
		t = time.Now().Add(w.stall)
	}
	d.SetWriteDeadline(t)
}

func (w *frameWriter) flusher() {
	defer w.wg.Done()
	for {
		select {
		case <-w.stop:
			return
		case <-w.kickC:
		}
		w.mu.Lock()
		if w.writing || !w.queued() || w.err != nil {
			w.mu.Unlock()
			continue
		}
		w.writing = true
		w.mu.Unlock()
		w.stallDeadline(true)
		w.flush()
		w.stallDeadline(false)
	}
}
