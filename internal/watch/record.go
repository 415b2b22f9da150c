package watch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/postbox-ipc/postbox/internal/stats"
)

// HeadSize is how many bytes of each payload a record keeps.
const HeadSize = 64

// maxTransport bounds a record's transport name.
const maxTransport = 16

// Record is one handled message as a spy sees it.
type Record struct {
	Time      time.Time     `json:"time"`      // when the handler started
	Took      time.Duration `json:"took"`      // how long it ran
	PID       int           `json:"pid"`       // the sender's process, -1 if unknown
	UID       int           `json:"uid"`       // the sender's user, -1 if unknown
	Transport string        `json:"transport"` // how it came
	Send      bool          `json:"send"`      // a Send (waits for the reply), or a Post
	ID        uint32        `json:"id"`
	W         int64         `json:"w"`
	L         int64         `json:"l"`
	Size      int           `json:"size"`       // payload bytes
	Head      []byte        `json:"head"`       // the payload's first bytes, at most HeadSize
	Result    int64         `json:"result"`     // the reply's Result
	ReplySize int           `json:"reply_size"` // the reply's payload bytes
	Err       string        `json:"err,omitempty"`
	// Err is the error's kind ("handler", "panic", "timeout", …; see
	// stats.Counts.Errors), empty when the handler succeeded.
}

// slot is a Record in a ring, with its payload head inline so that
// recording never allocates.
type slot struct {
	start     int64
	took      int64
	pid, uid  int32
	id        uint32
	size      uint32
	w, l      int64
	result    int64
	replySize uint32
	send      bool
	kind      stats.Kind
	tlen      uint8
	hlen      uint8
	transport [maxTransport]byte
	head      [HeadSize]byte
}

// Batch encoding, little-endian:
//
//	batch:  "SPY" 1 | dropped u64 | count u32 | reserved u32 (zero) | count records
//	record: start i64 (Unix ns) | took i64 (ns) | pid i32 | uid i32 | id u32 |
//	        size u32 | w i64 | l i64 | result i64 | reply size u32 |
//	        flags u8 (bit 0: send) | error kind u8 | transport length u8 (≤ 16) |
//	        head length u8 (≤ 64, ≤ size) | transport | head
const (
	batchHeader  = 20
	recordHeader = 64
)

var magic = [4]byte{'S', 'P', 'Y', 1}

// ErrMalformed reports a batch that does not follow the encoding.
var ErrMalformed = errors.New("spy: malformed batch")

func appendBatchHeader(b []byte, dropped uint64, count int) []byte {
	b = append(b, magic[:]...)
	b = binary.LittleEndian.AppendUint64(b, dropped)
	b = binary.LittleEndian.AppendUint32(b, uint32(count))
	return binary.LittleEndian.AppendUint32(b, 0)
}

func appendSlot(b []byte, s *slot) []byte {
	le := binary.LittleEndian
	b = le.AppendUint64(b, uint64(s.start))
	b = le.AppendUint64(b, uint64(s.took))
	b = le.AppendUint32(b, uint32(s.pid))
	b = le.AppendUint32(b, uint32(s.uid))
	b = le.AppendUint32(b, s.id)
	b = le.AppendUint32(b, s.size)
	b = le.AppendUint64(b, uint64(s.w))
	b = le.AppendUint64(b, uint64(s.l))
	b = le.AppendUint64(b, uint64(s.result))
	b = le.AppendUint32(b, s.replySize)
	var flags byte
	if s.send {
		flags = 1
	}
	b = append(b, flags, byte(s.kind), s.tlen, s.hlen)
	b = append(b, s.transport[:s.tlen]...)
	return append(b, s.head[:s.hlen]...)
}

// DecodeBatch parses a spy reply: the records and how many were dropped
// since the previous poll. It validates every length.
func DecodeBatch(b []byte) (recs []Record, dropped uint64, err error) {
	le := binary.LittleEndian
	if len(b) < batchHeader || [4]byte(b[:4]) != magic || le.Uint32(b[16:]) != 0 {
		return nil, 0, fmt.Errorf("%w: bad header", ErrMalformed)
	}
	dropped = le.Uint64(b[4:])
	n := le.Uint32(b[12:])
	b = b[batchHeader:]
	if uint64(n) > uint64(len(b)/recordHeader) {
		return nil, 0, fmt.Errorf("%w: %d records cannot fit in %d bytes", ErrMalformed, n, len(b))
	}
	recs = make([]Record, 0, n)
	for range n {
		r, rest, err := decodeRecord(b)
		if err != nil {
			return nil, 0, err
		}
		recs = append(recs, r)
		b = rest
	}
	if len(b) != 0 {
		return nil, 0, fmt.Errorf("%w: %d bytes after the last record", ErrMalformed, len(b))
	}
	return recs, dropped, nil
}

func decodeRecord(b []byte) (Record, []byte, error) {
	le := binary.LittleEndian
	if len(b) < recordHeader {
		return Record{}, nil, fmt.Errorf("%w: short record", ErrMalformed)
	}
	flags, kind, tlen, hlen := b[60], stats.Kind(b[61]), int(b[62]), int(b[63])
	size := le.Uint32(b[28:])
	if flags&^1 != 0 || tlen > maxTransport || hlen > HeadSize || uint32(hlen) > size || len(b) < recordHeader+tlen+hlen {
		return Record{}, nil, fmt.Errorf("%w: bad record lengths or flags", ErrMalformed)
	}
	r := Record{
		Time:      time.Unix(0, int64(le.Uint64(b[0:]))),
		Took:      time.Duration(le.Uint64(b[8:])),
		PID:       int(int32(le.Uint32(b[16:]))),
		UID:       int(int32(le.Uint32(b[20:]))),
		ID:        le.Uint32(b[24:]),
		Size:      int(size),
		W:         int64(le.Uint64(b[32:])),
		L:         int64(le.Uint64(b[40:])),
		Result:    int64(le.Uint64(b[48:])),
		ReplySize: int(le.Uint32(b[56:])),
		Send:      flags&1 != 0,
	}
	if kind != 0 {
		r.Err = kind.String()
	}
	b = b[recordHeader:]
	r.Transport = string(b[:tlen])
	r.Head = append([]byte(nil), b[tlen:tlen+hlen]...)
	return r, b[tlen+hlen:], nil
}
