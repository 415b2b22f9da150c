package nats

import (
	"encoding/binary"
	"fmt"

	"github.com/postbox-ipc/postbox/driver"
)

// On an instance subject — only Postbox connections know it — a Send or
// Post carries its fields in a fixed prefix of the payload instead of NATS
// headers, and so does the answer to a Send. Parsing headers costs more
// than the rest of a round trip through the server (docs/PROTOCOL.md).
//
// Request prefix, little-endian:
//
//	0  4  message ID
//	4  4  reserved, zero
//	8  8  W
//	16 8  L
//	24 8  nanoseconds the sender still waits, 0 for no deadline
//
// Answer prefix:
//
//	0  8  Reply.Result
//	8  4  error code, 0 for success (then the rest is the error text)
//	12 4  reserved, zero
const (
	reqPrefix = 32
	ansPrefix = 16
)

// appendRequest returns the payload of m on an instance subject.
func appendRequest(m *driver.Message, timeout int64) []byte {
	b := make([]byte, reqPrefix+len(m.Data))
	binary.LittleEndian.PutUint32(b[0:], m.ID)
	binary.LittleEndian.PutUint64(b[8:], uint64(m.W))
	binary.LittleEndian.PutUint64(b[16:], uint64(m.L))
	binary.LittleEndian.PutUint64(b[24:], uint64(timeout))
	copy(b[reqPrefix:], m.Data)
	return b
}

// readRequest parses a request payload into msg and returns the timeout.
func readRequest(p []byte, msg *driver.Message) (int64, error) {
	if len(p) < reqPrefix || binary.LittleEndian.Uint32(p[4:]) != 0 {
		return 0, fmt.Errorf("%w: malformed request prefix", driver.ErrProtocol)
	}
	msg.ID = binary.LittleEndian.Uint32(p[0:])
	msg.W = int64(binary.LittleEndian.Uint64(p[8:]))
	msg.L = int64(binary.LittleEndian.Uint64(p[16:]))
	msg.Data = p[reqPrefix:]
	return int64(binary.LittleEndian.Uint64(p[24:])), nil
}

// appendAnswer returns the payload answering a Send: its reply, or the
// error's code and text.
func appendAnswer(result int64, code driver.Code, data []byte) []byte {
	b := make([]byte, ansPrefix+len(data))
	binary.LittleEndian.PutUint64(b[0:], uint64(result))
	binary.LittleEndian.PutUint32(b[8:], uint32(code))
	copy(b[ansPrefix:], data)
	return b
}

// readAnswer parses an answer payload.
func readAnswer(p []byte) (driver.Reply, error) {
	if len(p) < ansPrefix || binary.LittleEndian.Uint32(p[12:]) != 0 {
		return driver.Reply{}, fmt.Errorf("%w: malformed answer prefix", driver.ErrPeerGone)
	}
	if code := driver.Code(binary.LittleEndian.Uint32(p[8:])); code != 0 {
		if !code.Valid() {
			code = driver.CodeHandler
		}
		return driver.Reply{}, &driver.RemoteError{Code: code, Message: string(p[ansPrefix:])}
	}
	return driver.Reply{Result: int64(binary.LittleEndian.Uint64(p[0:])), Data: p[ansPrefix:]}, nil
}
