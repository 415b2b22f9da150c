package wire

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Magic opens both handshake messages.
const Magic = "PBOX"

// Version is the protocol version this package speaks.
const Version = 1

// Limits on the variable parts of the handshake.
const (
	MaxNameLen   = 255
	MaxReasonLen = 1024
	helloSize    = 20
	welcomeSize  = 36
)

// WelcomeSize is the fixed part of a Welcome, before its reason text.
const WelcomeSize = welcomeSize

// Hello flags.
const (
	HelloWantShm uint16 = 1 << 0 // the client asks to upgrade to shared memory
	helloFlags          = HelloWantShm
)

// Hello is the client's first message.
//
//	0  4  "PBOX"
//	4  2  version
//	6  2  flags
//	8  4  client pid (as claimed; kernel credentials win where available)
//	12 4  largest payload the client accepts
//	16 2  name length n (1..255)
//	18 2  reserved, zero
//	20 n  endpoint name the client wants
type Hello struct {
	Version uint16
	Flags   uint16
	PID     uint32
	MaxSize uint32
	Name    string
}

// Status is the server's verdict on a Hello.
type Status uint16

// Handshake statuses.
const (
	StatusOK         Status = 0
	StatusDenied     Status = 1
	StatusNoEndpoint Status = 2
	StatusVersion    Status = 3
	StatusBusy       Status = 4
	StatusClosing    Status = 5
	maxStatus        Status = 5
)

// Welcome is the server's answer.
//
//	0  4  "PBOX"
//	4  2  version the server speaks
//	6  2  status
//	8  4  server pid
//	12 4  largest payload the server accepts
//	16 4  initial credit: messages
//	20 4  flags (echoes the Hello flags the server agreed to)
//	24 8  initial credit: bytes
//	32 2  reason length n (0..1024)
//	34 2  reserved, zero
//	36 n  reason text, when status is not OK
type Welcome struct {
	Version     uint16
	Status      Status
	PID         uint32
	MaxSize     uint32
	CreditMsgs  uint32
	Flags       uint32
	CreditBytes uint64
	Reason      string
}

// AppendHello appends the encoding of h to b.
func AppendHello(b []byte, h *Hello) []byte {
	var f [helloSize]byte
	copy(f[:], Magic)
	binary.LittleEndian.PutUint16(f[4:], h.Version)
	binary.LittleEndian.PutUint16(f[6:], h.Flags)
	binary.LittleEndian.PutUint32(f[8:], h.PID)
	binary.LittleEndian.PutUint32(f[12:], h.MaxSize)
	binary.LittleEndian.PutUint16(f[16:], uint16(len(h.Name)))
	return append(append(b, f[:]...), h.Name...)
}

// ReadHello reads and validates a Hello. It never reads more than
// helloSize+MaxNameLen bytes. A version other than Version is returned
// without error so the server can answer StatusVersion.
func ReadHello(r io.Reader) (*Hello, error) {
	var f [helloSize]byte
	if _, err := io.ReadFull(r, f[:]); err != nil {
		return nil, err
	}
	if string(f[:4]) != Magic {
		return nil, fmt.Errorf("%w: bad magic", ErrMalformed)
	}
	h := &Hello{
		Version: binary.LittleEndian.Uint16(f[4:]),
		Flags:   binary.LittleEndian.Uint16(f[6:]),
		PID:     binary.LittleEndian.Uint32(f[8:]),
		MaxSize: binary.LittleEndian.Uint32(f[12:]),
	}
	n := int(binary.LittleEndian.Uint16(f[16:]))
	switch {
	case binary.LittleEndian.Uint16(f[18:]) != 0:
		return nil, ErrReserved
	case h.Version == Version && h.Flags&^helloFlags != 0:
		return nil, ErrReserved
	case n == 0 || n > MaxNameLen:
		return nil, fmt.Errorf("%w: name length %d", ErrField, n)
	case h.Version == Version && h.MaxSize == 0:
		return nil, fmt.Errorf("%w: zero maximum size", ErrField)
	}
	name := make([]byte, n)
	if _, err := io.ReadFull(r, name); err != nil {
		return nil, err
	}
	h.Name = string(name)
	return h, nil
}

// AppendWelcome appends the encoding of w to b. A reason longer than
// MaxReasonLen is cut.
func AppendWelcome(b []byte, w *Welcome) []byte {
	reason := w.Reason
	if len(reason) > MaxReasonLen {
		reason = reason[:MaxReasonLen]
	}
	var f [welcomeSize]byte
	copy(f[:], Magic)
	binary.LittleEndian.PutUint16(f[4:], w.Version)
	binary.LittleEndian.PutUint16(f[6:], uint16(w.Status))
	binary.LittleEndian.PutUint32(f[8:], w.PID)
	binary.LittleEndian.PutUint32(f[12:], w.MaxSize)
	binary.LittleEndian.PutUint32(f[16:], w.CreditMsgs)
	binary.LittleEndian.PutUint32(f[20:], w.Flags)
	binary.LittleEndian.PutUint64(f[24:], w.CreditBytes)
	binary.LittleEndian.PutUint16(f[32:], uint16(len(reason)))
	return append(append(b, f[:]...), reason...)
}

// ReadWelcome reads and validates a Welcome.
func ReadWelcome(r io.Reader) (*Welcome, error) {
	var f [welcomeSize]byte
	if _, err := io.ReadFull(r, f[:]); err != nil {
		return nil, err
	}
	if string(f[:4]) != Magic {
		return nil, fmt.Errorf("%w: bad magic", ErrMalformed)
	}
	w := &Welcome{
		Version:     binary.LittleEndian.Uint16(f[4:]),
		Status:      Status(binary.LittleEndian.Uint16(f[6:])),
		PID:         binary.LittleEndian.Uint32(f[8:]),
		MaxSize:     binary.LittleEndian.Uint32(f[12:]),
		CreditMsgs:  binary.LittleEndian.Uint32(f[16:]),
		Flags:       binary.LittleEndian.Uint32(f[20:]),
		CreditBytes: binary.LittleEndian.Uint64(f[24:]),
	}
	n := int(binary.LittleEndian.Uint16(f[32:]))
	switch {
	case binary.LittleEndian.Uint16(f[34:]) != 0:
		return nil, ErrReserved
	case w.Status > maxStatus:
		return nil, fmt.Errorf("%w: status %d", ErrField, w.Status)
	case n > MaxReasonLen:
		return nil, fmt.Errorf("%w: reason length %d", ErrField, n)
	case w.Status == StatusOK && (w.Version != Version || w.MaxSize == 0 || w.CreditMsgs == 0 || w.CreditBytes == 0 || n != 0):
		return nil, fmt.Errorf("%w: incomplete welcome", ErrField)
	case w.Flags&^uint32(helloFlags) != 0:
		return nil, ErrReserved
	}
	if n > 0 {
		reason := make([]byte, n)
		if _, err := io.ReadFull(r, reason); err != nil {
			return nil, err
		}
		w.Reason = string(reason)
	}
	return w, nil
}
