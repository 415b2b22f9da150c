package tcp

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// The authentication block precedes the Hello on every TCP connection
// (docs/PROTOCOL.md, "TCP"):
//
//	0  4  "PBTK"
//	4  2  token length n (0..1024)
//	6  2  reserved, zero
//	8  n  token
const (
	authMagic    = "PBTK"
	authHdrSize  = 8
	maxTokenSize = 1024
)

// TokenIdentity is the Peer.Identity of a client authenticated by token
// alone.
const TokenIdentity = "token"

var (
	errNoToken  = errors.New("this endpoint requires a token")
	errBadToken = errors.New("wrong token")
)

// authBlock encodes the block a client sends before its Hello.
func authBlock(token string) ([]byte, error) {
	if len(token) > maxTokenSize {
		return nil, fmt.Errorf("%w: token of %d bytes, the limit is %d", transport.ErrBadAddress, len(token), maxTokenSize)
	}
	b := make([]byte, authHdrSize, authHdrSize+len(token))
	copy(b, authMagic)
	binary.LittleEndian.PutUint16(b[4:], uint16(len(token)))
	return append(b, token...), nil
}

// readAuth reads and validates the block; it returns the token.
func readAuth(r io.Reader) ([]byte, error) {
	var h [authHdrSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, fmt.Errorf("reading the authentication block: %w", err)
	}
	n := int(binary.LittleEndian.Uint16(h[4:]))
	switch {
	case string(h[:4]) != authMagic:
		return nil, errors.New("no authentication block")
	case binary.LittleEndian.Uint16(h[6:]) != 0, n > maxTokenSize:
		return nil, errors.New("malformed authentication block")
	}
	tok := make([]byte, n)
	if _, err := io.ReadFull(r, tok); err != nil {
		return nil, fmt.Errorf("reading the token: %w", err)
	}
	return tok, nil
}

// peerOf identifies a new connection's client and checks its token. It
// runs first in the handshake, under its deadline: it completes the TLS
// handshake (if any) and reads the authentication block, before the Hello.
func (t *Transport) peerOf(c net.Conn) (transport.Peer, error) {
	p := transport.UnknownPeer(Scheme)
	p.Addr = c.RemoteAddr().String()
	tok, err := readAuth(c)
	if err != nil {
		return p, err
	}
	if tc, ok := c.(*tls.Conn); ok {
		p.Identity = certIdentity(tc.ConnectionState())
	}
	if t.Token != "" {
		switch {
		case len(tok) == 0:
			return p, errNoToken
		case !tokenEqual(tok, t.Token):
			return p, errBadToken
		case p.Identity == "":
			p.Identity = TokenIdentity
		}
	}
	if uid, err := loopbackUID(c.RemoteAddr(), c.LocalAddr()); err == nil {
		p.UID = uid
	}
	return p, nil
}

// tokenEqual compares in constant time, whatever the lengths.
func tokenEqual(got []byte, want string) bool {
	a, b := sha256.Sum256(got), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// certIdentity is the subject of the peer's verified certificate, or "".
func certIdentity(st tls.ConnectionState) string {
	if len(st.VerifiedChains) == 0 || len(st.VerifiedChains[0]) == 0 {
		return ""
	}
	return st.VerifiedChains[0][0].Subject.String()
}
