// Package natstest runs a real NATS server inside a test process, on
// 127.0.0.1 and a random port, with JetStream in a temporary directory.
package natstest

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server starts a server, stopped when the test ends. opts adjust its
// options before it starts.
func Server(tb testing.TB, opts ...func(*server.Options)) *server.Server {
	tb.Helper()
	o := &server.Options{
		Host:       "127.0.0.1",
		Port:       server.RANDOM_PORT,
		NoLog:      true,
		NoSigs:     true,
		JetStream:  true,
		StoreDir:   tb.TempDir(),
		SyncAlways: true, // a durable Post's acknowledgement means fsync
		// The server shares the test's process, so its heap counts with the
		// endpoint's in every memory check; by default it keeps its last
		// 10,000 closed connections for monitoring (9 MiB after the
		// reliability suite's ConnectCloseCycles), which no test reads.
		MaxClosedClients: 1,
	}
	for _, f := range opts {
		f(o)
	}
	s, err := server.NewServer(o)
	if err != nil {
		tb.Fatalf("nats-server: %v", err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		tb.Fatal("nats-server did not start")
	}
	tb.Cleanup(func() { Stop(s) })
	return s
}

// Stop shuts s down and waits for it.
func Stop(s *server.Server) {
	s.Shutdown()
	s.WaitForShutdown()
}

// HostPort is the server's client address, "127.0.0.1:PORT".
func HostPort(s *server.Server) string { return s.Addr().String() }
