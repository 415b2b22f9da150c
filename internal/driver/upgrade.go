package driver

import (
	"errors"
	"net"

	"github.com/postbox-ipc/postbox/internal/wire"
)

// ErrDeclined is returned (wrapped) by Upgrade.Accept when it wrote nothing
// and the connection should go on over its socket.
var ErrDeclined = errors.New("upgrade declined")

// Upgrade is a stream transport's hook into the session handshake: it moves
// an admitted connection off its socket onto a faster channel — shared
// memory — that then carries the frames, while the socket stays open as
// the liveness channel. The client asks for it with Flag in its Hello; the
// endpoint agrees by echoing Flag in its Welcome. The same value serves
// both sides: the endpoint calls Accept, the client Receive.
//
// Peer credentials are taken from the socket before the upgrade; the
// upgraded connection's Peer.Transport is Scheme.
type Upgrade struct {
	// Flag is the wire.Hello flag that asks for the upgrade
	// (wire.HelloWantShm).
	Flag uint16
	// Scheme names the upgraded transport in Peer.Transport ("shm").
	Scheme string
	// Accept runs on the endpoint for an admitted Hello that carries
	// Flag. It writes welcome — the encoded Welcome, already carrying
	// Flag — to c together with whatever the client needs to join the
	// channel, and returns the conn the session continues over, which
	// then owns c. An error wrapping ErrDeclined means nothing was
	// written: the endpoint sends a plain Welcome and stays on c. Any
	// other error ends the connection.
	Accept func(c net.Conn, welcome []byte) (net.Conn, error)
	// Receive runs on a client that asked for the upgrade. It reads the
	// Welcome from c in place of wire.ReadWelcome, with whatever arrives
	// alongside it. When the Welcome echoes Flag it returns the conn the
	// session continues over, which then owns c; otherwise it returns c,
	// or an error if the caller required the upgrade.
	Receive func(c net.Conn) (*wire.Welcome, net.Conn, error)
}
