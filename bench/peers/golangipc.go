//go:build !race

package peers

// golang-ipc reads and writes its connection status from several goroutines
// without synchronization, so it is left out of race-detector builds.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	ipc "github.com/james-barrow/golang-ipc"
	"github.com/postbox-ipc/postbox/internal/bench"
)

func init() { extra = append(extra, golangIPCCase()) }

// golang-ipc: one client per server, messages through channels to its
// reader and writer goroutines; the server's writer sleeps 2 ms after every
// message, which sets its round trip. Encryption is off (its default is on).
func golangIPCCase() bench.Case {
	return bench.Case{
		Name: "golang-ipc", Group: bench.GroupPeer, SingleCaller: true,
		Note:  "github.com/james-barrow/golang-ipc v1.2.4: Unix socket in /tmp, encryption off, one client per server",
		Serve: func(_ context.Context, p bench.Params) (bench.Server, error) { return serveGolangIPC(p) },
		Dial:  dialGolangIPC,
	}
}

// Message types; 0 and negative ones are the library's own.
const (
	ipcPing = 1
	ipcOne  = 2
	ipcSync = 3
)

type golangIPCServer struct {
	s    *ipc.Server
	name string
	recv atomic.Int64
	done chan struct{}
}

func serveGolangIPC(p bench.Params) (*golangIPCServer, error) {
	s, err := ipc.StartServer(p.Name, &ipc.ServerConfig{MaxMsgSize: max(p.MaxSize+1<<10, 3<<20)})
	if err != nil {
		return nil, err
	}
	srv := &golangIPCServer{s: s, name: p.Name, done: make(chan struct{})}
	go srv.loop()
	return srv, nil
}

func (s *golangIPCServer) loop() {
	defer close(s.done)
	for {
		m, err := s.s.Read()
		if err != nil {
			return
		}
		switch m.MsgType {
		case ipcPing, ipcSync:
			_ = s.s.Write(m.MsgType, m.Data)
		case ipcOne:
			s.recv.Add(1)
		}
	}
}

func (s *golangIPCServer) Addr() string    { return s.name }
func (s *golangIPCServer) Received() int64 { return s.recv.Load() }

// Close closes the server; its goroutines do not all end (the library
// cannot stop them), so Close does not wait for them.
func (s *golangIPCServer) Close() error {
	s.s.Close()
	return nil
}

type golangIPCClient struct {
	c  *ipc.Client
	in chan *ipc.Message
}

// A golang-ipc server takes one client at a time and misses a new one that
// connects before it noticed the old one leave, so each server gets one
// client for all its cells; Close leaves it open. (The library cannot stop
// its goroutines either way.)
var (
	ipcMu      sync.Mutex
	ipcClients = map[string]*golangIPCClient{}
)

func dialGolangIPC(ctx context.Context, p bench.Params, name string) (bench.Client, error) {
	ipcMu.Lock()
	defer ipcMu.Unlock()
	if c, ok := ipcClients[name]; ok {
		return c, nil
	}
	c, err := startGolangIPC(ctx, name)
	if err == nil {
		ipcClients[name] = c
	}
	return c, err
}

func startGolangIPC(ctx context.Context, name string) (*golangIPCClient, error) {
	c, err := ipc.StartClient(name, &ipc.ClientConfig{Timeout: 10, RetryTimer: 1})
	if err != nil {
		return nil, err
	}
	cl := &golangIPCClient{c: c, in: make(chan *ipc.Message, 16)}
	go cl.read()
	for c.StatusCode() != ipc.Connected {
		select {
		case <-ctx.Done():
			c.Close()
			return nil, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return cl, nil
}

// read moves the library's messages to a channel, so a wait can end with
// its context.
func (c *golangIPCClient) read() {
	for {
		m, err := c.c.Read()
		if err != nil {
			close(c.in)
			return
		}
		if m.MsgType > 0 {
			c.in <- m
		}
	}
}

func (c *golangIPCClient) await(ctx context.Context, kind int) (*ipc.Message, error) {
	select {
	case m, ok := <-c.in:
		if !ok {
			return nil, errors.New("peers: golang-ipc connection closed")
		}
		if m.MsgType != kind {
			return nil, fmt.Errorf("peers: golang-ipc answered %d with %d", kind, m.MsgType)
		}
		return m, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *golangIPCClient) Send(ctx context.Context, p []byte) error {
	if err := c.c.Write(ipcPing, p); err != nil {
		return err
	}
	m, err := c.await(ctx, ipcPing)
	if err != nil {
		return err
	}
	return checkEcho(len(m.Data), len(p))
}

func (c *golangIPCClient) Post(_ context.Context, p []byte) error { return c.c.Write(ipcOne, p) }

func (c *golangIPCClient) Flush(ctx context.Context) error {
	if err := c.c.Write(ipcSync, nil); err != nil {
		return err
	}
	_, err := c.await(ctx, ipcSync)
	return err
}

// Close does nothing: the client serves every cell of its server.
func (c *golangIPCClient) Close() error { return nil }
