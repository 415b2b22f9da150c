package postbox_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// Child modes for the other-user tests (run as uid 65534): each prints
// one line of outcome.
const (
	asRaw    = "raw"    // a Hello and two frames in one write, before any answer
	asFlood  = "flood"  // N connections that send nothing
	asConns  = "conns"  // N connections held open at once
	asListen = "listen" // Listen at the address, then Close
	asServe  = "serve"  // Listen at the address, open to any user, print "ready", serve until killed
)

func childAs(mode, addr string) {
	switch mode := strings.Fields(mode + " 0"); mode[0] {
	case asRaw:
		fmt.Print(rawPipelined(addr))
	case asFlood:
		n, _ := strconv.Atoi(mode[1])
		fmt.Print(floodSilent(addr, n))
	case asConns:
		n, _ := strconv.Atoi(mode[1])
		fmt.Print(holdConns(addr, n))
	case asListen:
		ep, err := postbox.Listen(addr, postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
			return postbox.Reply{}, nil
		}))
		if err != nil {
			fmt.Print("error: " + err.Error())
			return
		}
		fmt.Print("ok")
		ep.Close()
	case asServe:
		ep, err := postbox.Listen(addr, postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
			return postbox.Reply{Data: []byte("served by uid " + strconv.Itoa(os.Getuid()))}, nil
		}), func(lc *postbox.ListenConfig) { lc.AllowAnyUser = true })
		if err != nil {
			fmt.Println("error: " + err.Error())
			return
		}
		defer ep.Close()
		fmt.Println("ready")
		select {}
	default:
		childSend(addr)
	}
}

// rawPipelined writes a Hello, a Send and a Post at once on a raw socket
// and reports the Welcome's status and whether the connection then ends.
func rawPipelined(addr string) string {
	path := strings.TrimPrefix(addr, "unix:")
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return "connect: " + err.Error()
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	name := strings.TrimSuffix(path[strings.LastIndexByte(path, '/')+1:], ".sock")
	b := wire.AppendHello(nil, &wire.Hello{Version: wire.Version, PID: uint32(os.Getpid()), MaxSize: 1 << 20, Name: name})
	for _, h := range []wire.Header{{Kind: wire.KindSend, ID: postbox.CopyData, Seq: 1, Len: 5}, {Kind: wire.KindPost, ID: postbox.CopyData, Len: 5}} {
		var hb [wire.HeaderSize]byte
		h.Put(hb[:])
		b = append(append(b, hb[:]...), "hello"...)
	}
	c.Write(b) // may fail once refused: the answer is what counts
	w, err := wire.ReadWelcome(c)
	if err != nil {
		return "welcome: " + err.Error()
	}
	n, err := c.Read(make([]byte, 1))
	return fmt.Sprintf("status %d, then %d bytes (%v)", w.Status, n, errors.Is(err, io.EOF) || err != nil)
}

// floodSilent opens n connections that send nothing and reports how many
// were refused within a second each, and how: denied (the access policy)
// or busy (no slot free at that instant). It then holds them open a few
// seconds, for the parent to show a legitimate client gets through.
func floodSilent(addr string, n int) string {
	path := strings.TrimPrefix(addr, "unix:")
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := net.DialTimeout("unix", path, 5*time.Second)
		if err != nil {
			return fmt.Sprintf("connect %d: %v", len(conns)+1, err)
		}
		conns = append(conns, c)
	}
	var denied, busy int
	var other []string
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(time.Second))
		var f [36]byte
		if _, err := io.ReadFull(c, f[:]); err != nil {
			other = append(other, err.Error())
			continue
		}
		switch wire.Status(binary.LittleEndian.Uint16(f[6:])) {
		case wire.StatusDenied:
			denied++
		case wire.StatusBusy:
			busy++
		}
	}
	report := fmt.Sprintf("refused %d of %d", denied+busy, n)
	if len(other) > 0 {
		report += "; first other: " + other[0]
	}
	fmt.Printf("%s (%d denied, %d busy)\n", report, denied, busy)
	time.Sleep(3 * time.Second)
	return ""
}

// holdConns dials n connections, keeping them all open, and reports each
// outcome: ok, limit, denied or the error.
func holdConns(addr string, n int) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []string
	for range n {
		c, err := postbox.Dial(ctx, addr)
		switch {
		case err == nil:
			defer c.Close()
			out = append(out, "ok")
		case errors.Is(err, postbox.ErrLimit):
			out = append(out, "limit")
		case errors.Is(err, postbox.ErrDenied):
			out = append(out, "denied")
		default:
			out = append(out, err.Error())
		}
	}
	return strings.Join(out, " ")
}
