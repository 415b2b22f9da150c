package tcp_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/driver"
	"github.com/postbox-ipc/postbox/internal/conformance"
	"github.com/postbox-ipc/postbox/internal/reliability"
	"github.com/postbox-ipc/postbox/internal/testcert"
	"github.com/postbox-ipc/postbox/internal/testns"
	"github.com/postbox-ipc/postbox/transport/tcp"
)

// The suite runs twice: plain TCP on loopback, and TLS 1.3 with client
// certificates. Endpoints listen on TCP alone ("tcp://127.0.0.1:PORT/NAME"),
// one fixed port per name, so "name in use" is "port in use".
var (
	plainTarget = conformance.Target{
		Name:         "tcp",
		Addr:         addrFor,
		CrossProcess: true,
		Raw:          raw(nil),
	}
	tlsTarget = conformance.Target{
		Name:         "tcp-tls",
		Addr:         addrFor,
		CrossProcess: true,
		Configure: func(lc *postbox.ListenConfig) {
			lc.Transports = []postbox.Transport{&tcp.Transport{TLS: sharedCerts().ServerConfig(true)}}
		},
		Dialer: &postbox.Dialer{Transports: []postbox.Transport{&lazyClient{}}},
		Raw:    raw(func() *tls.Config { return sharedCerts().ClientConfig(true) }),
	}
)

func TestMain(m *testing.M) { reliability.Main(m, plainTarget, tlsTarget) }

func TestConformance(t *testing.T) {
	t.Run("plain", func(t *testing.T) { conformance.Run(t, plainTarget) })
	t.Run("tls", func(t *testing.T) {
		sharedCerts() // before any child process starts
		conformance.Run(t, tlsTarget)
	})
}

var ports sync.Map // endpoint name → its port

// addrFor gives each endpoint name its own free loopback port.
func addrFor(name string) string {
	p, ok := ports.Load(name)
	if !ok {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		p, _ = ports.LoadOrStore(name, ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
	}
	return fmt.Sprintf("tcp://127.0.0.1:%d/%s", p, name)
}

// certEnv names the directory where the parent process saved the test
// certificates, so conformance children use the same CA.
const certEnv = "POSTBOX_TCP_TEST_CERTS"

var (
	certsOnce sync.Once
	certs     *testcert.Set
)

func sharedCerts() *testcert.Set {
	certsOnce.Do(func() {
		var err error
		if dir := os.Getenv(certEnv); dir != "" {
			if certs, err = testcert.Load(dir); err != nil {
				panic(err)
			}
			return
		}
		if certs, err = testcert.NewSet(); err != nil {
			panic(err)
		}
		dir := testns.File("certs") // removed with the tests' namespace
		if err := os.Mkdir(dir, 0o700); err != nil {
			panic(err)
		}
		if err := certs.Save(dir); err != nil {
			panic(err)
		}
		os.Setenv(certEnv, dir)
	})
	return certs
}

// lazyClient is a TLS tcp.Transport whose certificates are made on first
// use, so that a conformance child never generates its own.
type lazyClient struct{ tcp.Transport }

func (*lazyClient) Dial(ctx context.Context, addr string, cfg *driver.DialConfig) (driver.Conn, error) {
	t := &tcp.Transport{TLS: sharedCerts().ClientConfig(true)}
	return t.Dial(ctx, addr, cfg)
}

// raw opens a byte stream to an endpoint for the malformed-frame tests: TLS
// when tc is set, and the empty authentication block before the Hello.
func raw(tc func() *tls.Config) func(ctx context.Context, ep *postbox.Endpoint) (net.Conn, error) {
	return func(ctx context.Context, ep *postbox.Endpoint) (net.Conn, error) {
		hostport := strings.TrimPrefix(ep.Addrs()[0], "tcp://")
		hostport = hostport[:strings.IndexByte(hostport, '/')]
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", hostport)
		if err != nil {
			return nil, err
		}
		if tc != nil {
			cfg := tc()
			cfg.ServerName = "127.0.0.1"
			c = tls.Client(c, cfg)
		}
		return &authFirst{Conn: c}, nil
	}
}

// authFirst puts an empty authentication block before its first write.
type authFirst struct {
	net.Conn
	sent bool
}

func (a *authFirst) Write(p []byte) (int, error) {
	if a.sent {
		return a.Conn.Write(p)
	}
	a.sent = true
	n, err := a.Conn.Write(append([]byte("PBTK\x00\x00\x00\x00"), p...))
	return max(n-8, 0), err
}
