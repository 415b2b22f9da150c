package session

import (
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// TestClientHandshakeErrors: how the client names what went wrong when the
// server side of a handshake misbehaves or goes away.
func TestClientHandshakeErrors(t *testing.T) {
	cases := []struct {
		name   string
		server func(c net.Conn)
		want   error
	}{
		{"closes at once", func(c net.Conn) { c.Close() }, transport.ErrPeerGone},
		{"reads the hello, then closes", func(c net.Conn) {
			wire.ReadHello(c)
			c.Close()
		}, transport.ErrPeerGone},
		{"resets mid-welcome", func(c net.Conn) {
			wire.ReadHello(c)
			c.Write([]byte("PBOX"))
			c.Close()
		}, transport.ErrPeerGone},
		{"answers busy without reading the hello", func(c net.Conn) {
			c.Write(wire.AppendWelcome(nil, &wire.Welcome{Version: wire.Version, Status: wire.StatusBusy, Reason: "full"}))
			c.Close()
		}, transport.ErrLimit},
		{"answers denied after the hello", func(c net.Conn) {
			wire.ReadHello(c)
			c.Write(wire.AppendWelcome(nil, &wire.Welcome{Version: wire.Version, Status: wire.StatusDenied, Reason: "no"}))
			c.Close()
		}, transport.ErrDenied},
		{"speaks another protocol", func(c net.Conn) {
			wire.ReadHello(c)
			io.WriteString(c, "HTTP/1.1 400 Bad Request\r\n\r\nno thanks, not today, not ever\r\n")
			c.Close()
		}, transport.ErrProtocol},
		{"says nothing", func(c net.Conn) {
			wire.ReadHello(c)
			time.Sleep(time.Second)
			c.Close()
		}, transport.ErrTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s")
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err == nil {
					tc.server(c)
				}
			}()
			conn, err := net.Dial("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			cfg := &driver.DialConfig{HandshakeTimeout: 200 * time.Millisecond}
			cl, err := Dial(context.Background(), conn, "x", transport.UnknownPeer("unix"), cfg)
			if err == nil {
				cl.Close()
				t.Fatal("Dial succeeded")
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Dial: %v, want %v", err, tc.want)
			}
		})
	}
}
