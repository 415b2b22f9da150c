package conformance

import (
	"bytes"
	"encoding/binary"

	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// The corpus of invalid input: every entry is bytes a hostile or broken
// client sends, and the one reaction the endpoint must have. Entries are
// grouped by where they strike: the handshake, a single frame after a good
// handshake, or a sequence of frames that is wrong only as a whole.

// Phases of a bad input.
const (
	phaseHello  = iota // the bytes are sent instead of a Hello
	phaseFrames        // the bytes follow a good handshake
)

// reaction is what the endpoint must do about a bad input. Exactly one
// field is set: the connection ends after a goaway frame with a code, after
// a Welcome with a refusal status, or silently (no answer: the bytes were
// not Postbox, or the peer vanished mid-frame).
type reaction struct {
	goaway transport.Code
	status wire.Status
	silent bool
}

// badInput is one corpus entry.
type badInput struct {
	name  string
	phase int
	// input returns the bytes to send; name is the endpoint's name.
	input func(name string) []byte
	want  reaction
	// stalled runs the entry against an endpoint whose handler holds
	// every message and whose queue is badQueueLen messages.
	stalled bool
	// half closes the writing side after the input (the client vanishes).
	half bool
}

// Limits of the endpoint the corpus runs against.
const (
	badMaxSize  = 1 << 20
	badQueueLen = 4
)

func goaway(c transport.Code) reaction   { return reaction{goaway: c} }
func refused(s wire.Status) reaction     { return reaction{status: s} }
func silently() reaction                 { return reaction{silent: true} }
func fixed(b []byte) func(string) []byte { return func(string) []byte { return b } }

var protocol, tooLarge = goaway(transport.CodeProtocol), goaway(transport.CodeTooLarge)

// frame encodes a header (Len from the payload unless set) and payload.
func frame(h wire.Header, payload []byte) []byte {
	if h.Len == 0 {
		h.Len = uint32(len(payload))
	}
	return append(header(h), payload...)
}

// rawFrame sets 32-bit little-endian words of a header by byte offset.
func rawFrame(h wire.Header, words map[int]uint32) []byte {
	b := header(h)
	for off, v := range words {
		binary.LittleEndian.PutUint32(b[off:], v)
	}
	return b
}

// hello encodes a Hello and applies edit to its bytes.
func hello(name string, edit func(b []byte) []byte) []byte {
	b := wire.AppendHello(nil, &wire.Hello{Version: wire.Version, PID: 1, MaxSize: badMaxSize, Name: name})
	if edit != nil {
		b = edit(b)
	}
	return b
}

func put16(off int, v uint16) func([]byte) []byte {
	return func(b []byte) []byte { binary.LittleEndian.PutUint16(b[off:], v); return b }
}

func put32(off int, v uint32) func([]byte) []byte {
	return func(b []byte) []byte { binary.LittleEndian.PutUint32(b[off:], v); return b }
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

var (
	send = wire.Header{Kind: wire.KindSend, ID: 0x4A, Seq: 1}
	post = wire.Header{Kind: wire.KindPost, ID: 0x4A}
)

func with(h wire.Header, f func(*wire.Header)) wire.Header { f(&h); return h }

// sharedFrame is h carrying a shared payload's descriptor (off, n): on a
// transport without shared memory, or pointing where the sender never put
// a payload.
func sharedFrame(h wire.Header, off, n uint64) []byte {
	d := make([]byte, wire.SharedSize)
	wire.PutShared(d, off, n)
	h.Flags = wire.FlagShared
	return frame(h, d)
}

var badInputs = []badInput{
	// Instead of a Hello.
	{name: "hello: HTTP request", input: fixed([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), want: silently()},
	{name: "hello: TLS ClientHello", input: fixed([]byte{0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}), want: silently()},
	{name: "hello: bad magic", input: func(n string) []byte { return hello(n, func(b []byte) []byte { b[0] = 'X'; return b }) }, want: silently()},
	{name: "hello: lower-case magic", input: func(n string) []byte { return hello(n, func(b []byte) []byte { copy(b, "pbox"); return b }) }, want: silently()},
	{name: "hello: nothing, then EOF", input: fixed(nil), half: true, want: silently()},
	{name: "hello: truncated header, then EOF", input: func(n string) []byte { return hello(n, nil)[:10] }, half: true, want: silently()},
	{name: "hello: truncated name, then EOF", input: func(n string) []byte { b := hello(n, nil); return b[:len(b)-1] }, half: true, want: silently()},
	{name: "hello: reserved field set", input: func(n string) []byte { return hello(n, put16(18, 1)) }, want: silently()},
	{name: "hello: unknown flag", input: func(n string) []byte { return hello(n, put16(6, 1<<9)) }, want: silently()},
	{name: "hello: name length 0", input: func(n string) []byte { return hello(n, put16(16, 0))[:20] }, want: silently()},
	{name: "hello: name length 256", input: func(n string) []byte { return hello(n, put16(16, 256)) }, want: silently()},
	{name: "hello: name length 0xFFFF", input: func(n string) []byte { return hello(n, put16(16, 0xFFFF)) }, want: silently()},
	{name: "hello: zero maximum size", input: func(n string) []byte { return hello(n, put32(12, 0)) }, want: silently()},
	{name: "hello: version 0", input: func(n string) []byte { return hello(n, put16(4, 0)) }, want: refused(wire.StatusVersion)},
	{name: "hello: version 2", input: func(n string) []byte { return hello(n, put16(4, 2)) }, want: refused(wire.StatusVersion)},
	{name: "hello: version 0xFFFF", input: func(n string) []byte { return hello(n, put16(4, 0xFFFF)) }, want: refused(wire.StatusVersion)},
	{name: "hello: another endpoint's name", input: func(n string) []byte { return hello(n+"x", nil) }, want: refused(wire.StatusNoEndpoint)},
	{name: "hello: name with a NUL", input: func(n string) []byte { return hello(n[:len(n)-1]+"\x00", nil) }, want: refused(wire.StatusNoEndpoint)},
	{name: "hello: name as a path", input: func(n string) []byte { return hello("../"+n, nil) }, want: refused(wire.StatusNoEndpoint)},

	// One bad frame after a good handshake.
	{name: "frame: kind 0", phase: phaseFrames, input: fixed(header(wire.Header{})), want: protocol},
	{name: "frame: kind 10", phase: phaseFrames, input: fixed(header(wire.Header{Kind: 10})), want: protocol},
	{name: "frame: kind 42", phase: phaseFrames, input: fixed(header(wire.Header{Kind: 42})), want: protocol},
	{name: "frame: kind 255", phase: phaseFrames, input: fixed(header(wire.Header{Kind: 255})), want: protocol},
	{name: "frame: reserved bytes 6-7", phase: phaseFrames, input: fixed(rawFrame(post, map[int]uint32{4: uint32(wire.KindPost) | 1<<16})), want: protocol},
	{name: "frame: reserved bytes 12-15", phase: phaseFrames, input: fixed(rawFrame(post, map[int]uint32{12: 1})), want: protocol},
	{name: "frame: flag More on a stream", phase: phaseFrames, input: fixed(header(with(post, func(h *wire.Header) { h.Flags = wire.FlagMore }))), want: protocol},
	{name: "frame: flag 0x80", phase: phaseFrames, input: fixed(header(with(post, func(h *wire.Header) { h.Flags = 0x80 }))), want: protocol},
	{name: "shared: descriptor outside the arena", phase: phaseFrames, input: fixed(sharedFrame(post, 1<<40, 100)), want: protocol},
	{name: "shared: descriptor wrapping around", phase: phaseFrames, input: fixed(sharedFrame(send, ^uint64(0)-10, 100)), want: protocol},
	{name: "shared: zero-length payload", phase: phaseFrames, input: fixed(sharedFrame(post, 0, 0)), want: protocol},
	{name: "shared: payload over MaxSize", phase: phaseFrames, input: fixed(sharedFrame(post, 0, badMaxSize+1)), want: protocol},
	{name: "shared: short descriptor", phase: phaseFrames, input: fixed(frame(with(post, func(h *wire.Header) { h.Flags = wire.FlagShared }), make([]byte, 8))), want: protocol},
	{name: "shared: on a sync frame", phase: phaseFrames, input: fixed(frame(wire.Header{Kind: wire.KindSync, Seq: 1, Flags: wire.FlagShared}, make([]byte, wire.SharedSize))), want: protocol},
	{name: "frame: header of all ones", phase: phaseFrames, input: fixed(bytes.Repeat([]byte{0xFF}, wire.HeaderSize)), want: protocol},
	{name: "frame: a second hello", phase: phaseFrames, input: func(n string) []byte { return cat(hello(n, nil), make([]byte, wire.HeaderSize)) }, want: protocol},
	{name: "send: request number 0", phase: phaseFrames, input: fixed(header(with(send, func(h *wire.Header) { h.Seq = 0 }))), want: protocol},
	{name: "send: timeout -1", phase: phaseFrames, input: fixed(header(with(send, func(h *wire.Header) { h.Timeout = -1 }))), want: protocol},
	{name: "send: timeout MinInt64", phase: phaseFrames, input: fixed(header(with(send, func(h *wire.Header) { h.Timeout = -1 << 63 }))), want: protocol},
	{name: "post: request number set", phase: phaseFrames, input: fixed(header(with(post, func(h *wire.Header) { h.Seq = 7 }))), want: protocol},
	{name: "post: timeout set", phase: phaseFrames, input: fixed(header(with(post, func(h *wire.Header) { h.Timeout = 5e9 }))), want: protocol},
	{name: "reply from the sender", phase: phaseFrames, input: fixed(header(wire.Header{Kind: wire.KindReply, Seq: 1})), want: protocol},
	{name: "reply with L set", phase: phaseFrames, input: fixed(header(wire.Header{Kind: wire.KindReply, Seq: 1, L: 1})), want: protocol},
	{name: "error from the sender", phase: phaseFrames, input: fixed(frame(wire.Header{Kind: wire.KindError, ID: 1, Seq: 1}, []byte("boom"))), want: protocol},
	{name: "error with code 0", phase: phaseFrames, input: fixed(header(wire.Header{Kind: wire.KindError, Seq: 1})), want: protocol},
	{name: "cancel with a payload", phase: phaseFrames, input: fixed(frame(wire.Header{Kind: wire.KindCancel, Seq: 1}, []byte("x"))), want: protocol},
	{name: "cancel with request number 0", phase: phaseFrames, input: fixed(header(wire.Header{Kind: wire.KindCancel})), want: protocol},
	{name: "cancel with an ID", phase: phaseFrames, input: fixed(header(wire.Header{Kind: wire.KindCancel, Seq: 1, ID: 3})), want: protocol},
	{name: "credit from the sender", phase: phaseFrames, input: fixed(header(wire.Header{Kind: wire.KindCredit, ID: 5})), want: protocol},
	{name: "credit with negative bytes", phase: phaseFrames, input: fixed(header(wire.Header{Kind: wire.KindCredit, ID: 5, W: -1})), want: protocol},
	{name: "sync with number 0", phase: phaseFrames, input: fixed(header(wire.Header{Kind: wire.KindSync})), want: protocol},
	{name: "sync with a payload", phase: phaseFrames, input: fixed(frame(wire.Header{Kind: wire.KindSync, Seq: 1}, []byte("x"))), want: protocol},
	{name: "sync with W set", phase: phaseFrames, input: fixed(header(wire.Header{Kind: wire.KindSync, Seq: 1, W: 9})), want: protocol},
	{name: "syncack from the sender", phase: phaseFrames, input: fixed(header(wire.Header{Kind: wire.KindSyncAck, Seq: 1})), want: protocol},
	{name: "goaway with code 0", phase: phaseFrames, input: fixed(header(wire.Header{Kind: wire.KindGoaway})), want: protocol},
	{name: "post: length max+1", phase: phaseFrames, input: fixed(header(with(post, func(h *wire.Header) { h.Len = badMaxSize + 1 }))), want: tooLarge},
	{name: "send: length max+1", phase: phaseFrames, input: fixed(header(with(send, func(h *wire.Header) { h.Len = badMaxSize + 1 }))), want: tooLarge},
	{name: "post: length 0xFFFFFFFF", phase: phaseFrames, input: fixed(header(with(post, func(h *wire.Header) { h.Len = 0xFFFFFFFF }))), want: tooLarge},
	{name: "send: length 0x80000000 (negative as int32)", phase: phaseFrames, input: fixed(header(with(send, func(h *wire.Header) { h.Len = 0x80000000 }))), want: tooLarge},
	{name: "send: length 0x7FFFFFFF", phase: phaseFrames, input: fixed(header(with(send, func(h *wire.Header) { h.Len = 0x7FFFFFFF }))), want: tooLarge},
	{name: "reply: length 0xFFFFFFFF", phase: phaseFrames, input: fixed(header(wire.Header{Kind: wire.KindReply, Seq: 1, Len: 0xFFFFFFFF})), want: tooLarge},
	{name: "cancel: length 0xFFFFFFFF", phase: phaseFrames, input: fixed(header(wire.Header{Kind: wire.KindCancel, Seq: 1, Len: 0xFFFFFFFF})), want: protocol},

	// Sequences wrong as a whole.
	{name: "good frames, then a bad one", phase: phaseFrames, input: fixed(cat(frame(post, []byte("ok")), frame(send, nil), header(wire.Header{Kind: 42}))), want: protocol},
	{name: "header cut short, then EOF", phase: phaseFrames, input: fixed(header(post)[:20]), half: true, want: silently()},
	{name: "payload cut short, then EOF", phase: phaseFrames, input: fixed(frame(with(post, func(h *wire.Header) { h.Len = 100 }), make([]byte, 50))), half: true, want: silently()},
	{name: "messages beyond the credit granted", phase: phaseFrames, stalled: true, input: fixed(bytes.Repeat(header(post), badQueueLen+2)), want: protocol},
	{name: "bytes beyond the credit granted", phase: phaseFrames, stalled: true, input: fixed(cat(frame(post, nil), frame(post, make([]byte, badMaxSize)), frame(post, make([]byte, 1)))), want: protocol},
}
