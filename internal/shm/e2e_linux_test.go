package shm_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/session"
	"github.com/postbox-ipc/postbox/internal/shm"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// End-to-end tests of the upgrade against real endpoints.

// The session writes frames straight into the ring when there is room,
// and reads them straight out.
var (
	_ session.TryWriter   = (*shm.Conn)(nil)
	_ session.CheapReader = (*shm.Conn)(nil)
)

func echo(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
	return postbox.Reply{Result: m.W, Data: m.Data}, nil
}

// listen starts an endpoint named name in a private namespace.
func listen(t *testing.T, name string, opts ...postbox.ListenOption) *postbox.Endpoint {
	t.Helper()
	dir, err := os.MkdirTemp("", "pbx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	t.Setenv("XDG_RUNTIME_DIR", dir)
	ep, err := postbox.Listen("unix:"+name, postbox.HandlerFunc(echo), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	return ep
}

// rawUpgrade dials ep's socket and performs the handshake by hand, asking
// for shared memory, and returns the upgraded Conn.
func rawUpgrade(t *testing.T, ep *postbox.Endpoint) net.Conn {
	t.Helper()
	path := strings.TrimPrefix(ep.Addrs()[0], "unix:")
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	hello := wire.Hello{Version: wire.Version, Flags: wire.HelloWantShm, PID: uint32(os.Getpid()), MaxSize: 1 << 20, Name: ep.Name()}
	if _, err := c.Write(wire.AppendHello(nil, &hello)); err != nil {
		t.Fatal(err)
	}
	w, rc, err := shm.Client().Receive(c)
	if err != nil || w.Status != wire.StatusOK || rc == c {
		t.Fatalf("upgrade: %v %+v", err, w)
	}
	t.Cleanup(func() { rc.Close() })
	return rc
}

// TestHostileClient: a client that corrupts the ring it writes gets a
// goaway with the protocol-error code; the endpoint serves others on.
func TestHostileClient(t *testing.T) {
	ep := listen(t, "hostile")
	good, err := postbox.Dial(context.Background(), "shm:hostile")
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	rc := rawUpgrade(t, ep)
	shm.ScribbleHead(rc, 1<<62)
	rc.SetDeadline(time.Now().Add(10 * time.Second))
	hb := make([]byte, wire.HeaderSize)
	if _, err := io.ReadFull(rc, hb); err != nil {
		t.Fatalf("no goaway from the endpoint: %v", err)
	}
	var h wire.Header
	if err := h.Decode(hb, 1<<20); err != nil || h.Kind != wire.KindGoaway || transport.Code(h.ID) != transport.CodeProtocol {
		t.Fatalf("endpoint answered a corrupt ring with %+v (%v), want a protocol goaway", h, err)
	}
	reason := make([]byte, h.Len)
	io.ReadFull(rc, reason)
	if !strings.Contains(string(reason), "ring corrupt") {
		t.Errorf("goaway reason %q does not say the ring is corrupt", reason)
	}
	if _, err := good.Send(context.Background(), postbox.Message{Data: []byte("still here")}); err != nil {
		t.Fatalf("another client after the hostile one: %v", err)
	}
}

// TestUpgradeDeclined: an endpoint that cannot make a region answers with a
// plain Welcome: shm dials fail with ErrUnsupported, unix dials work.
func TestUpgradeDeclined(t *testing.T) {
	defer shm.FailRegions()()
	listen(t, "declined")
	_, err := postbox.Dial(context.Background(), "shm:declined")
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("shm dial to an endpoint that declines: %v, want ErrUnsupported", err)
	}
	c, err := postbox.Dial(context.Background(), "unix:declined")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Send(context.Background(), postbox.Message{}); err != nil {
		t.Fatal(err)
	}
}

// TestLargeThroughSmallRings: messages 256 times a ring's size stream
// through it in chunks, both ways.
func TestLargeThroughSmallRings(t *testing.T) {
	listen(t, "small", postbox.WithMaxSize(2<<20), func(lc *postbox.ListenConfig) { lc.ShmRingSize = 8 << 10 })
	c, err := (&postbox.Dialer{MaxSize: 2 << 20}).Dial(context.Background(), "shm:small")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	big := make([]byte, 2<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	for i := range 3 {
		binary.LittleEndian.PutUint64(big, uint64(i))
		rep, err := c.Send(context.Background(), postbox.Message{W: int64(i), Data: big})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Result != int64(i) || string(rep.Data) != string(big) {
			t.Fatalf("a 2 MiB message came back changed through 8 KiB rings")
		}
	}
}
