// Package wire encodes and decodes Postbox frames and the connection
// handshake. It is pure: no I/O, no allocation on the hot path, and every
// decoder validates its input completely. docs/PROTOCOL.md is the spec.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// HeaderSize is the fixed size of every frame header.
const HeaderSize = 48

// Kind is a frame's type.
type Kind uint8

// Frame kinds.
const (
	KindSend    Kind = 1  // a message that expects a Reply or Error
	KindPost    Kind = 2  // a message that expects nothing
	KindReply   Kind = 3  // the answer to a Send
	KindError   Kind = 4  // a failed Send: code and text
	KindCancel  Kind = 5  // the sender gave up on a Send
	KindCredit  Kind = 6  // the receiver freed queue space
	KindSync    Kind = 7  // Flush: "tell me when you have read this far"
	KindSyncAck Kind = 8  // the answer to Sync
	KindGoaway  Kind = 9  // the sender of this frame is closing: code and text
	KindDrain   Kind = 10 // the endpoint accepts no new messages; pending ones will be answered
	maxKind     Kind = 10
)

var kindNames = [...]string{"", "send", "post", "reply", "error", "cancel", "credit", "sync", "syncack", "goaway", "drain"}

func (k Kind) String() string {
	if k >= 1 && k <= maxKind {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Flags.
const (
	FlagMore uint8 = 1 << 0 // reserved for chunked transports; must be zero on streams
	// FlagShared marks a send, post or reply whose payload travels in
	// shared memory: the frame carries a SharedSize-byte descriptor of it
	// instead (see PutShared). Only transports with an arena accept it.
	FlagShared uint8 = 1 << 1
)

// SharedSize is the length of a shared payload's descriptor: its offset
// in the sender's arena and its length, each a little-endian uint64.
const SharedSize = 16

// PutShared encodes a descriptor into b, which must be SharedSize long.
func PutShared(b []byte, off, n uint64) {
	_ = b[SharedSize-1]
	binary.LittleEndian.PutUint64(b[0:], off)
	binary.LittleEndian.PutUint64(b[8:], n)
}

// ReadShared decodes a descriptor. Its length must be at least 1 and at
// most max; where it points is for the arena to check.
func ReadShared(b []byte, max uint32) (off, n uint64, err error) {
	if len(b) != SharedSize {
		return 0, 0, fmt.Errorf("%w: %d-byte shared payload descriptor", ErrMalformed, len(b))
	}
	off, n = binary.LittleEndian.Uint64(b[0:]), binary.LittleEndian.Uint64(b[8:])
	if n == 0 || n > uint64(max) {
		return 0, 0, fmt.Errorf("%w: shared payload of %d bytes, limit %d", ErrField, n, max)
	}
	return off, n, nil
}

// Header is a decoded frame header. Field use depends on Kind:
//
//	kind     ID            Seq          W              L      Timeout
//	send     message ID    request no.  W              L      ns left, 0 = none
//	post     message ID    0            W              L      0
//	reply    0             request no.  Result         0      0
//	error    error code    request no.  0              0      0
//	cancel   0             request no.  0              0      0
//	credit   messages      0            bytes          0      0
//	sync     0             sync no.     0              0      0
//	syncack  0             sync no.     posts accepted 0      0
//	goaway   error code    0            0              0      0
//	drain    0             0            0              0      0
type Header struct {
	Len     uint32 // payload bytes that follow the header
	Kind    Kind
	Flags   uint8
	ID      uint32
	Seq     uint64
	W       int64
	L       int64
	Timeout int64
}

// Errors returned by Decode. All wrap ErrMalformed.
var (
	ErrMalformed = errors.New("malformed frame")
	ErrKind      = fmt.Errorf("%w: unknown kind", ErrMalformed)
	ErrReserved  = fmt.Errorf("%w: reserved bits set", ErrMalformed)
	ErrField     = fmt.Errorf("%w: field out of range", ErrMalformed)
	ErrOversize  = errors.New("frame larger than the agreed maximum")
)

// Put encodes h into b, which must be at least HeaderSize long.
func (h *Header) Put(b []byte) {
	_ = b[HeaderSize-1]
	binary.LittleEndian.PutUint32(b[0:], h.Len)
	b[4] = byte(h.Kind)
	b[5] = h.Flags
	binary.LittleEndian.PutUint16(b[6:], 0)
	binary.LittleEndian.PutUint32(b[8:], h.ID)
	binary.LittleEndian.PutUint32(b[12:], 0)
	binary.LittleEndian.PutUint64(b[16:], h.Seq)
	binary.LittleEndian.PutUint64(b[24:], uint64(h.W))
	binary.LittleEndian.PutUint64(b[32:], uint64(h.L))
	binary.LittleEndian.PutUint64(b[40:], uint64(h.Timeout))
}

// PayloadLen reads the Len field of an encoded header in b (at least
// HeaderSize long) without decoding or checking the rest: how many payload
// bytes follow, if the header is valid.
func PayloadLen(b []byte) uint32 { return binary.LittleEndian.Uint32(b[0:]) }

// Decode parses and validates a header. max is the largest payload the
// receiver accepts; a larger Len returns ErrOversize (wrapped) with h filled
// in, so the caller can answer before closing. Decode never allocates.
func (h *Header) Decode(b []byte, max uint32) error {
	if len(b) < HeaderSize {
		return fmt.Errorf("%w: short header", ErrMalformed)
	}
	h.Len = binary.LittleEndian.Uint32(b[0:])
	h.Kind = Kind(b[4])
	h.Flags = b[5]
	h.ID = binary.LittleEndian.Uint32(b[8:])
	h.Seq = binary.LittleEndian.Uint64(b[16:])
	h.W = int64(binary.LittleEndian.Uint64(b[24:]))
	h.L = int64(binary.LittleEndian.Uint64(b[32:]))
	h.Timeout = int64(binary.LittleEndian.Uint64(b[40:]))
	if binary.LittleEndian.Uint16(b[6:]) != 0 || binary.LittleEndian.Uint32(b[12:]) != 0 || h.Flags&^FlagShared != 0 {
		return ErrReserved
	}
	if h.Kind < KindSend || h.Kind > maxKind {
		return ErrKind
	}
	if err := h.check(); err != nil {
		return err
	}
	if h.Flags&FlagShared != 0 && (h.Len != SharedSize || h.Kind != KindSend && h.Kind != KindPost && h.Kind != KindReply) {
		return fmt.Errorf("%w: shared flag on a %d-byte %s frame", ErrField, h.Len, h.Kind)
	}
	if h.Len > max {
		return ErrOversize
	}
	return nil
}

// check validates the fields each kind uses and requires the others be zero.
func (h *Header) check() error {
	var ok bool
	switch h.Kind {
	case KindSend:
		ok = h.Seq != 0 && h.Timeout >= 0
	case KindPost:
		ok = h.Seq == 0 && h.Timeout == 0
	case KindReply:
		ok = h.ID == 0 && h.Seq != 0 && h.L == 0 && h.Timeout == 0
	case KindError:
		ok = h.ID != 0 && h.Seq != 0 && h.W == 0 && h.L == 0 && h.Timeout == 0
	case KindCancel:
		ok = h.ID == 0 && h.Seq != 0 && h.W == 0 && h.L == 0 && h.Timeout == 0 && h.Len == 0
	case KindCredit:
		ok = h.Seq == 0 && h.W >= 0 && h.L == 0 && h.Timeout == 0 && h.Len == 0
	case KindSync:
		ok = h.ID == 0 && h.Seq != 0 && h.W == 0 && h.L == 0 && h.Timeout == 0 && h.Len == 0
	case KindSyncAck:
		ok = h.ID == 0 && h.Seq != 0 && h.W >= 0 && h.L == 0 && h.Timeout == 0 && h.Len == 0
	case KindGoaway:
		ok = h.ID != 0 && h.Seq == 0 && h.W == 0 && h.L == 0 && h.Timeout == 0
	case KindDrain:
		ok = h.ID == 0 && h.Seq == 0 && h.W == 0 && h.L == 0 && h.Timeout == 0
	}
	if !ok {
		return fmt.Errorf("%w: in a %s frame", ErrField, h.Kind)
	}
	return nil
}
