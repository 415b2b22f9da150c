package session

import (
	"fmt"
	"io"

	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

const readBufSize = 64 << 10

// growStep bounds how far a payload's buffer is allocated ahead of the bytes
// that have arrived. A frame header may announce up to MaxSize; a peer that
// sends one and then trickles the payload (or nothing) holds no more memory
// than it has sent, plus this. Payloads up to growStep get their whole buffer
// at once; larger ones double it as it fills.
const growStep = 1 << 20

// CheapReader is implemented by streams whose reads cost no system call,
// such as a shared-memory ring. The frame reader then reads no further
// ahead than the frame it is on, and every payload straight into its
// destination: one copy instead of two.
type CheapReader interface {
	io.Reader
	// Buffered reports how many bytes a Read would return without
	// waiting: input the frame reader would otherwise have read ahead.
	Buffered() int
}

// patientReader is a stream that can also read without busy polling
// (pollReader): for the rest of a large payload, which comes at the speed
// of the sender's copy in socket-buffer-sized pieces, so parking between
// them costs less than spinning against the sender for the two CPUs.
type patientReader interface {
	ReadPatient(b []byte) (int, error)
}

// patientMin is the rest of a payload from which it is read patiently.
const patientMin = directMin

// frameReader reads frames from a stream. It is resumable: a read that fails
// with a timeout keeps what it already has, and the next call continues the
// same frame. Only one goroutine reads at a time.
type frameReader struct {
	src   io.Reader
	max   uint32 // largest payload accepted
	cheap bool   // src is a CheapReader: read exactly, never ahead
	buf   []byte
	r, w  int // buf[r:w] is unread

	// A payload too large for buf is read straight into its destination.
	hdr     wire.Header
	haveHdr bool
	dst     []byte // the payload's buffer so far: len(dst) <= want
	dstN    int    // bytes of it filled
	want    int    // the payload's length

	got     uint64 // bytes read from src, ever: progress, for a frame timeout
	waiting func() // if set, called before a read that waits for the rest of a frame
	grown   func() // if set, called once a growing payload's previous buffer is copied out: it may be recycled

	// resolve, if set, turns a shared payload's descriptor into its bytes
	// (see Arena); without it a frame with wire.FlagShared is refused.
	resolve func(off, n uint64) ([]byte, error)
	desc    [wire.SharedSize]byte
}

func newFrameReader(src io.Reader, max uint32) *frameReader {
	_, cheap := src.(CheapReader)
	return &frameReader{src: src, max: max, cheap: cheap, buf: make([]byte, readBufSize)}
}

// next returns the next frame's header and payload. The payload is written
// into a buffer from alloc (not called for an empty payload): once for a
// payload up to growStep, else again each time the buffer doubles, the
// last buffer being the one returned (the frame reader drops earlier ones;
// grown tells their owner when the copy out of one is done, so it may
// recycle it). An oversized frame returns an error wrapping ErrTooLarge; malformed input ErrProtocol;
// the stream's own error otherwise.
func (f *frameReader) next(alloc func(n int) []byte) (wire.Header, []byte, error) {
	if !f.haveHdr {
		if err := f.fill(wire.HeaderSize); err != nil {
			return wire.Header{}, nil, err
		}
		if err := f.hdr.Decode(f.buf[f.r:f.w], f.max); err != nil {
			if err == wire.ErrOversize {
				return f.hdr, nil, fmt.Errorf("%w: %d-byte %s frame, limit %d", transport.ErrTooLarge, f.hdr.Len, f.hdr.Kind, f.max)
			}
			return f.hdr, nil, fmt.Errorf("%w: %v", transport.ErrProtocol, err)
		}
		f.r += wire.HeaderSize
		f.haveHdr = true
		f.dst, f.dstN, f.want = nil, 0, int(f.hdr.Len)
		switch {
		case f.hdr.Flags&wire.FlagShared != 0 && f.resolve == nil:
			return f.hdr, nil, fmt.Errorf("%w: shared payload on a connection without shared memory", transport.ErrProtocol)
		case f.hdr.Flags&wire.FlagShared != 0:
			f.dst = f.desc[:]
		case f.want > 0:
			f.dst = alloc(min(f.want, growStep))
		}
	}
	if err := f.readPayload(alloc); err != nil {
		return wire.Header{}, nil, err
	}
	f.haveHdr = false
	if f.hdr.Flags&wire.FlagShared != 0 {
		p, err := f.resolveShared(f.dst)
		return f.hdr, p, err
	}
	return f.hdr, f.dst, nil
}

// readPayload moves the payload into f.dst: first whatever is buffered, then
// straight from the stream, growing f.dst as it fills.
func (f *frameReader) readPayload(alloc func(n int) []byte) error {
	for f.dstN < f.want {
		if f.dstN == len(f.dst) {
			if err := f.more(); err != nil {
				return err
			}
			f.grow(alloc)
		}
		if f.r < f.w {
			n := copy(f.dst[f.dstN:], f.buf[f.r:f.w])
			f.r += n
			f.dstN += n
			continue
		}
		if !f.cheap && f.want-f.dstN < len(f.buf)/2 {
			if err := f.fill(1); err != nil {
				return err
			}
			continue
		}
		if f.waiting != nil {
			f.waiting()
		}
		n, err := f.readDirect(f.dst[f.dstN:])
		f.got += uint64(n)
		f.dstN += n
		if err != nil && f.dstN < f.want {
			return eofIsUnexpected(err)
		}
	}
	return nil
}

// readDirect reads the rest of a payload straight into b: patiently if it
// is large and the stream can.
func (f *frameReader) readDirect(b []byte) (int, error) {
	if pr, ok := f.src.(patientReader); ok && len(b) >= patientMin {
		return pr.ReadPatient(b)
	}
	return f.src.Read(b)
}

// more waits, before a full f.dst grows, until the next bytes of the
// payload have come: a peer that stops where the buffer ends holds no more
// than it sent. Over a CheapReader the buffer grows at once (it reads
// nothing ahead).
func (f *frameReader) more() error {
	if f.cheap || f.r < f.w {
		return nil
	}
	if err := f.fill(1); err != nil {
		return eofIsUnexpected(err)
	}
	return nil
}

// grow replaces the full f.dst with one twice as long (at most f.want),
// keeping what it holds.
func (f *frameReader) grow(alloc func(n int) []byte) {
	d := alloc(min(f.want, 2*len(f.dst)))
	copy(d, f.dst[:f.dstN])
	f.dst = d
	if f.grown != nil {
		f.grown()
	}
}

// fill makes at least n bytes available in buf[r:w].
func (f *frameReader) fill(n int) error {
	if f.w-f.r >= n {
		return nil
	}
	if f.r > 0 && len(f.buf)-f.r < n {
		f.w = copy(f.buf, f.buf[f.r:f.w])
		f.r = 0
	}
	end := len(f.buf)
	if f.cheap {
		end = f.r + n // no read-ahead: payloads go straight to their destination
	}
	for f.w-f.r < n {
		if f.waiting != nil && f.mid() {
			f.waiting()
		}
		m, err := f.src.Read(f.buf[f.w:end])
		f.got += uint64(m)
		f.w += m
		if err != nil {
			if f.w-f.r >= n {
				return nil
			}
			if f.w-f.r > 0 {
				return eofIsUnexpected(err)
			}
			return err
		}
	}
	return nil
}

// mid reports whether a frame has begun and not been read whole.
func (f *frameReader) mid() bool { return f.haveHdr || f.w > f.r }

// buffered reports whether unread bytes are already in memory (in the
// stream itself, for a CheapReader).
func (f *frameReader) buffered() bool {
	return f.w > f.r || f.haveHdr || f.cheap && f.src.(CheapReader).Buffered() > 0
}

// whole reports whether a whole frame is buffered, so that next returns
// it without waiting on the stream. Over a CheapReader, whether anything
// is: it reads nothing ahead, so the reader cannot tell more without
// reading. A header that next will refuse may count as not whole.
func (f *frameReader) whole() bool {
	switch {
	case f.cheap:
		return f.buffered()
	case f.haveHdr:
		return f.w-f.r >= f.want-f.dstN
	case f.w-f.r < wire.HeaderSize:
		return false
	}
	return f.w-f.r-wire.HeaderSize >= int(wire.PayloadLen(f.buf[f.r:]))
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
