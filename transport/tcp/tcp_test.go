package tcp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/testcert"
	"github.com/postbox-ipc/postbox/transport/tcp"
)

// recorder is a handler that remembers who sent what.
type recorder struct {
	mu   sync.Mutex
	msgs []postbox.Message
}

func (r *recorder) ServeMessage(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := *m
	c.Data = append([]byte(nil), m.Data...)
	r.msgs = append(r.msgs, c)
	return postbox.Reply{Result: int64(len(m.Data)), Data: append([]byte("re:"), m.Data...)}, nil
}

func (r *recorder) last(t *testing.T) postbox.Message {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.msgs) == 0 {
		t.Fatal("the handler saw no message")
	}
	return r.msgs[len(r.msgs)-1]
}

// isolate gives the test its own user namespace, and checks that it
// leaves no goroutine behind.
func isolate(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
}

// listen starts an endpoint named name, also on tcpAddr, and returns it
// with its TCP address.
func listen(t *testing.T, name, tcpAddr string, h postbox.Handler, opts ...postbox.ListenOption) (*postbox.Endpoint, string) {
	t.Helper()
	opts = append(opts, postbox.WithAlso(tcpAddr))
	ep, err := postbox.Listen(name, h, opts...)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { ep.Close() })
	return ep, tcpAddrOf(t, ep)
}

func tcpAddrOf(t *testing.T, ep *postbox.Endpoint) string {
	t.Helper()
	for _, a := range ep.Addrs() {
		if strings.HasPrefix(a, "tcp://") {
			return a
		}
	}
	t.Fatalf("no tcp address in %v", ep.Addrs())
	return ""
}

func dial(t *testing.T, addr string, opts ...postbox.DialOption) *postbox.Conn {
	t.Helper()
	c, err := postbox.Dial(context.Background(), addr, opts...)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestLoopbackPlain(t *testing.T) {
	isolate(t)
	var rec recorder
	_, addr := listen(t, "plain", "tcp://127.0.0.1:0", &rec)
	if !strings.HasSuffix(addr, "/plain") {
		t.Fatalf("address %q does not name the endpoint", addr)
	}
	c := dial(t, addr)
	rep, err := c.Send(ctxT(t), postbox.Message{ID: postbox.User + 1, W: 7, L: -3, Data: []byte("hi")})
	if err != nil {
		t.Fatal(err)
	}
	if string(rep.Data) != "re:hi" || rep.Result != 2 {
		t.Fatalf("reply %q %d", rep.Data, rep.Result)
	}
	m := rec.last(t)
	if m.ID != postbox.User+1 || m.W != 7 || m.L != -3 || m.From.Transport != "tcp" || m.From.Addr == "" {
		t.Fatalf("message %+v", m)
	}
	if runtime.GOOS == "linux" && m.From.UID != os.Geteuid() {
		t.Errorf("From.UID = %d, want %d (from the kernel's socket table)", m.From.UID, os.Geteuid())
	}
	if c.Peer().Transport != "tcp" || c.Peer().PID != os.Getpid() {
		t.Errorf("Peer() = %+v", c.Peer())
	}
	for i := range 100 {
		if err := c.Post(ctxT(t), postbox.Message{ID: postbox.CopyData, W: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestDialForms(t *testing.T) {
	isolate(t)
	var rec recorder
	_, addr := listen(t, "forms", "tcp://127.0.0.1:0", &rec)
	hostport := strings.TrimSuffix(strings.TrimPrefix(addr, "tcp://"), "/forms")
	tests := []struct {
		addr string
		want error
	}{
		{"tcp://" + hostport, nil},
		{"tcp://" + hostport + "/forms", nil},
		{"tcp://" + hostport + "/other", postbox.ErrNoEndpoint},
		{"tcp://" + hostport + "/bad*name", postbox.ErrBadAddress},
		{"tcp://no-port", postbox.ErrBadAddress},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			rep, err := postbox.Send(ctxT(t), tt.addr, postbox.Message{Data: []byte("x")})
			if !errors.Is(err, tt.want) || tt.want == nil && string(rep.Data) != "re:x" {
				t.Fatalf("Send: %q, %v; want %v", rep.Data, err, tt.want)
			}
		})
	}
}

func TestNothingListening(t *testing.T) {
	isolate(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = postbox.Dial(ctxT(t), "tcp://"+addr)
	if !errors.Is(err, postbox.ErrNoEndpoint) {
		t.Fatalf("dial a closed port: %v, want ErrNoEndpoint", err)
	}
}

func TestPortInUse(t *testing.T) {
	isolate(t)
	_, addr := listen(t, "first", "tcp://127.0.0.1:0", &recorder{})
	hostport := strings.TrimSuffix(strings.TrimPrefix(addr, "tcp://"), "/first")
	_, err := postbox.Listen("second", &recorder{}, postbox.WithAlso("tcp://"+hostport))
	if !errors.Is(err, postbox.ErrNameInUse) {
		t.Fatalf("listen on a used port: %v, want ErrNameInUse", err)
	}
}

func TestTCPAsMainAddress(t *testing.T) {
	isolate(t)
	var rec recorder
	ep, err := postbox.Listen("tcp://127.0.0.1:0/solo", &rec)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	if ep.Name() != "solo" {
		t.Fatalf("Name() = %q", ep.Name())
	}
	rep, err := postbox.Send(ctxT(t), tcpAddrOf(t, ep), postbox.Message{Data: []byte("a")})
	if err != nil || string(rep.Data) != "re:a" {
		t.Fatalf("Send: %q, %v", rep.Data, err)
	}
	rep, err = postbox.Send(ctxT(t), "inproc:solo", postbox.Message{Data: []byte("b")})
	if err != nil || string(rep.Data) != "re:b" {
		t.Fatalf("Send inproc: %q, %v", rep.Data, err)
	}
	if _, err := postbox.Listen("tcp://127.0.0.1:0", &rec); !errors.Is(err, postbox.ErrBadAddress) {
		t.Fatalf("listen without a name: %v, want ErrBadAddress", err)
	}
}

func TestAlsoMustNameTheEndpoint(t *testing.T) {
	isolate(t)
	_, err := postbox.Listen("one", &recorder{}, postbox.WithAlso("tcp://127.0.0.1:0/two"))
	if !errors.Is(err, postbox.ErrBadAddress) {
		t.Fatalf("listen with another name: %v, want ErrBadAddress", err)
	}
}

func TestNonLoopbackNeedsTLSAndAuth(t *testing.T) {
	isolate(t)
	certs := mustCerts(t)
	tests := []struct {
		name string
		tr   *tcp.Transport
		want error
	}{
		{"plain", &tcp.Transport{}, tcp.ErrInsecure},
		{"plain with token", &tcp.Transport{Token: "t"}, tcp.ErrInsecure},
		{"tls without client auth", &tcp.Transport{TLS: certs.ServerConfig(false)}, tcp.ErrInsecure},
		{"tls and client certificates", &tcp.Transport{TLS: certs.ServerConfig(true)}, nil},
		{"tls and token", &tcp.Transport{TLS: certs.ServerConfig(false), Token: "t"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep, err := postbox.Listen("open", &recorder{}, postbox.WithAlso("tcp://0.0.0.0:0"), postbox.WithTransports(tt.tr))
			if err == nil {
				ep.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("listen on 0.0.0.0: %v, want %v", err, tt.want)
			}
		})
	}
}

func mustCerts(t *testing.T) *testcert.Set {
	t.Helper()
	s, err := testcert.NewSet()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTLSClientCertificates(t *testing.T) {
	isolate(t)
	certs := mustCerts(t)
	var rec recorder
	_, addr := listen(t, "tlscert", "tcp://0.0.0.0:0", &rec, postbox.WithTransports(&tcp.Transport{TLS: certs.ServerConfig(true)}))
	addr = strings.NewReplacer("0.0.0.0", "127.0.0.1", "[::]", "127.0.0.1").Replace(addr)

	c := dial(t, addr, postbox.WithDialTransports(&tcp.Transport{TLS: certs.ClientConfig(true)}))
	if _, err := c.Send(ctxT(t), postbox.Message{Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if id := rec.last(t).From.Identity; id != "CN=client" {
		t.Errorf("From.Identity = %q, want CN=client", id)
	}
	if id := c.Peer().Identity; id != "CN=postbox-server" {
		t.Errorf("Peer().Identity = %q, want the server's subject", id)
	}

	other, err := testcert.NewSet() // a CA neither side trusts
	if err != nil {
		t.Fatal(err)
	}
	refused := []struct {
		name string
		tls  *tls13
	}{
		{"no client certificate", &tls13{certs, false}},
		{"client certificate from another CA", &tls13{mixed(certs, other), true}},
		{"server not trusted", &tls13{other, true}},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := postbox.Dial(ctxT(t), addr, postbox.WithDialTransports(&tcp.Transport{TLS: tt.tls.set.ClientConfig(tt.tls.cert)}))
			if !errors.Is(err, postbox.ErrDenied) {
				t.Fatalf("dial: %v, want ErrDenied", err)
			}
		})
	}
}

type tls13 struct {
	set  *testcert.Set
	cert bool
}

// mixed trusts good's CA but presents bad's client certificate.
func mixed(good, bad *testcert.Set) *testcert.Set {
	return &testcert.Set{CA: good.CA, Server: good.Server, Client: bad.Client}
}

func TestToken(t *testing.T) {
	isolate(t)
	certs := mustCerts(t)
	srv := &tcp.Transport{TLS: certs.ServerConfig(false), Token: "s3cret"}
	var rec recorder
	_, addr := listen(t, "tok", "tcp://127.0.0.1:0", &rec, postbox.WithTransports(srv))
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"right token", "s3cret", nil},
		{"wrong token", "guess", postbox.ErrDenied},
		{"no token", "", postbox.ErrDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := postbox.WithDialTransports(&tcp.Transport{TLS: certs.ClientConfig(false), Token: tt.token})
			c, err := postbox.Dial(ctxT(t), addr, d)
			if !errors.Is(err, tt.want) {
				t.Fatalf("dial: %v, want %v", err, tt.want)
			}
			if err != nil {
				return
			}
			defer c.Close()
			if _, err := c.Send(ctxT(t), postbox.Message{}); err != nil {
				t.Fatal(err)
			}
			if id := rec.last(t).From.Identity; id != tcp.TokenIdentity {
				t.Errorf("From.Identity = %q, want %q", id, tcp.TokenIdentity)
			}
		})
	}
}

func TestTokenOnPlainLoopback(t *testing.T) {
	isolate(t)
	var rec recorder
	_, addr := listen(t, "ptok", "tcp://127.0.0.1:0", &rec, postbox.WithTransports(&tcp.Transport{Token: "k"}))
	c := dial(t, addr, postbox.WithDialTransports(&tcp.Transport{Token: "k"}))
	if _, err := c.Send(ctxT(t), postbox.Message{}); err != nil {
		t.Fatal(err)
	}
	if id := rec.last(t).From.Identity; id != tcp.TokenIdentity {
		t.Errorf("From.Identity = %q", id)
	}
	if _, err := postbox.Dial(ctxT(t), addr); !errors.Is(err, postbox.ErrDenied) {
		t.Fatalf("dial without the token: %v, want ErrDenied", err)
	}
}

// TestNotPostbox checks that a stranger is refused at the handshake and its
// connection closed at once, not when the (here very long) handshake
// timeout ends.
func TestNotPostbox(t *testing.T) {
	isolate(t)
	certs := mustCerts(t)
	patient := func(lc *postbox.ListenConfig) { lc.HandshakeTimeout = 10 * time.Minute }
	_, plain := listen(t, "stranger", "tcp://127.0.0.1:0", &recorder{}, patient)
	_, secure := listen(t, "stranger2", "tcp://127.0.0.1:0", &recorder{}, patient,
		postbox.WithTransports(&tcp.Transport{TLS: certs.ServerConfig(true)}))
	tests := []struct {
		name, addr, send string
	}{
		{"http request", plain, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"random bytes", plain, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage-garbage-garbage"},
		{"http to tls", secure, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"hello without auth block", plain, "PBOX\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01\x01\x00\x00\x00x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hostport := strings.TrimPrefix(tt.addr, "tcp://")
			hostport = hostport[:strings.IndexByte(hostport, '/')]
			c, err := net.Dial("tcp", hostport)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, tt.send); err != nil {
				t.Fatal(err)
			}
			if tt.name == "hello without auth block" {
				c.(*net.TCPConn).CloseWrite()
			}
			c.SetReadDeadline(time.Now().Add(time.Minute))
			_, err = io.Copy(io.Discard, c)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the server kept the connection open: %v", err)
			}
		})
	}
}

func ExampleTransport() {
	// An endpoint on the user's namespace, reachable over loopback TCP too.
	ep, err := postbox.Listen("example-tcp", postbox.HandlerFunc(
		func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
			return postbox.Reply{Data: []byte("hello, " + string(m.Data))}, nil
		}), postbox.WithAlso("tcp://127.0.0.1:0"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ep.Close()
	var addr string // tcp://127.0.0.1:PORT/example-tcp
	for _, a := range ep.Addrs() {
		if strings.HasPrefix(a, "tcp://") {
			addr = a
		}
	}
	rep, err := postbox.Send(context.Background(), addr, postbox.Message{Data: []byte("tcp")})
	fmt.Println(string(rep.Data), err)
	// Output: hello, tcp <nil>
}
