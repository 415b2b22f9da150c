package nats

import (
	"fmt"
	"github.com/postbox-ipc/postbox/driver"
	"strconv"
	"strings"

	gonats "github.com/nats-io/nats.go"
)

// NATS headers Postbox uses (docs/PROTOCOL.md, "NATS"). Names are
// case-sensitive, as in NATS. Numbers are decimal ("0x" hex is accepted
// too); an absent number is zero, an absent ID is CopyData.
const (
	// On messages to an endpoint.
	HeaderID      = "Postbox-Id"      // message ID
	HeaderW       = "Postbox-W"       // W
	HeaderL       = "Postbox-L"       // L
	HeaderKind    = "Postbox-Kind"    // a Kind value; absent: a Send if there is a reply subject, else a Post
	HeaderTimeout = "Postbox-Timeout" // nanoseconds the sender still waits
	HeaderCancel  = "Postbox-Cancel"  // KindCancel: the reply subject of the Send given up

	// On answers from an endpoint.
	HeaderResult   = "Postbox-Result"       // Reply.Result
	HeaderError    = "Postbox-Error"        // error code; the payload is the error text
	HeaderStatus   = "Postbox-Status"       // StatusAccepted or StatusSynced
	HeaderCredit   = "Postbox-Credit"       // on INBOX.c: Posts handled or refused since the last credit
	HeaderBytes    = "Postbox-Bytes"        // on INBOX.c: their payload bytes
	HeaderRefused  = "Postbox-Refused"      // on INBOX.c: how many of those were refused, not handled
	HeaderEndpoint = "Postbox-Endpoint"     // the answering endpoint's name (hello, broadcast)
	HeaderInstance = "Postbox-Instance"     // hello: the subject of this endpoint instance
	HeaderMaxSize  = "Postbox-Max-Size"     // hello: the largest payload accepted
	HeaderWindow   = "Postbox-Window"       // hello: messages a sender may have outstanding
	HeaderWindowB  = "Postbox-Window-Bytes" // hello: payload bytes a sender may have outstanding
	HeaderPID      = "Postbox-Pid"          // hello, broadcast: the endpoint's PID
)

// Values of HeaderKind.
const (
	KindPost   = "post"   // a Post (Postbox clients mark it by the reply subject INBOX.p instead)
	KindHello  = "hello"  // Dial's handshake
	KindSync   = "sync"   // Flush: answered once every earlier Post is in the queue
	KindCancel = "cancel" // the sender gave up on a Send
)

// Values of HeaderStatus.
const (
	StatusAccepted = "accepted" // a broadcast reached the endpoint
	StatusSynced   = "synced"   // the answer to KindSync
)

// natsStatus is the header NATS itself uses for "no responders" (503).
const (
	natsStatus   = "Status"
	noResponders = "503"
)

// setMessage writes m's ID, W and L into h, leaving defaults out.
func setMessage(h gonats.Header, m *driver.Message) {
	if m.ID != driver.CopyData {
		h[HeaderID] = []string{strconv.FormatUint(uint64(m.ID), 10)}
	}
	if m.W != 0 {
		h[HeaderW] = []string{strconv.FormatInt(m.W, 10)}
	}
	if m.L != 0 {
		h[HeaderL] = []string{strconv.FormatInt(m.L, 10)}
	}
}

// readMessage parses ID, W and L from h.
func readMessage(h gonats.Header, m *driver.Message) error {
	m.ID = driver.CopyData
	if v := h.Get(HeaderID); v != "" {
		id, err := parseNum(v, 32, true)
		if err != nil {
			return fmt.Errorf("%s: %w", HeaderID, err)
		}
		m.ID = uint32(id)
	}
	var err error
	if m.W, err = numHeader(h, HeaderW); err != nil {
		return err
	}
	m.L, err = numHeader(h, HeaderL)
	return err
}

func numHeader(h gonats.Header, key string) (int64, error) {
	v := h.Get(key)
	if v == "" {
		return 0, nil
	}
	n, err := parseNum(v, 64, false)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", key, err)
	}
	return n, nil
}

// parseNum parses decimal or 0x hex, signed unless unsigned.
func parseNum(s string, bits int, unsigned bool) (int64, error) {
	if rest, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		u, err := strconv.ParseUint(rest, 16, bits)
		return int64(u), err
	}
	if unsigned {
		u, err := strconv.ParseUint(s, 10, bits)
		return int64(u), err
	}
	return strconv.ParseInt(s, 10, bits)
}

// intHeader parses a decimal header, 0 when absent or malformed (without
// the cost of a parse error for the common absent case).
func intHeader(h gonats.Header, key string) int64 {
	v := h.Get(key)
	if v == "" {
		return 0
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}
