package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/postbox-ipc/postbox/internal/testcert"
)

// startListenTCP starts "postbox listen" with args and returns it with the
// tcp:// address it printed.
func startListenTCP(t *testing.T, args ...string) (*listener, string) {
	t.Helper()
	l := startListen(t, args...)
	addr := regexp.MustCompile(`tcp://\S+`).FindString(l.ready)
	if addr == "" {
		t.Fatalf("no tcp address in %q", l.ready)
	}
	return l, addr
}

func TestTCPPlain(t *testing.T) {
	l, addr := startListenTCP(t, "cli-tcp", "--tcp", "127.0.0.1:0", "--reply", "pong")
	out, errs, code := run(t, "", "send", addr, "ping", "--w", "3")
	if code != 0 || out != "pong\n" {
		t.Fatalf("send %s: exit %d, %q, %q", addr, code, out, errs)
	}
	line := l.next(t)
	for _, want := range []string{"w=3", "transport=tcp", "addr=127.0.0.1:", `data="ping"`} {
		if !strings.Contains(line, want) {
			t.Errorf("listen printed %q, missing %q", line, want)
		}
	}
}

func TestTCPTLSAndToken(t *testing.T) {
	dir := t.TempDir()
	certs, err := testcert.NewSet()
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := testcert.WriteFiles(dir, "server", certs.Server)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := certs.CA.WriteCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	token := filepath.Join(dir, "token")
	os.WriteFile(token, []byte("s3cret\n"), 0o600)
	wrong := filepath.Join(dir, "wrong")
	os.WriteFile(wrong, []byte("guess\n"), 0o600)

	// Off loopback, TCP needs TLS and authentication.
	if _, errs, code := run(t, "", "listen", "cli-open", "--tcp", "0.0.0.0:0"); code == 0 || !strings.Contains(errs, "TLS") {
		t.Fatalf("listen on 0.0.0.0 without TLS: exit %d, %q", code, errs)
	}
	l, addr := startListenTCP(t, "cli-tls", "--tcp", "0.0.0.0:0", "--tls-cert", cert, "--tls-key", key, "--token-file", token, "--reply", "secure")
	addr = strings.NewReplacer("0.0.0.0", "127.0.0.1", "[::]", "127.0.0.1").Replace(addr)
	out, errs, code := run(t, "", "send", addr, "hi", "--tls-ca", ca, "--token-file", token)
	if code != 0 || out != "secure\n" {
		t.Fatalf("send with the token: exit %d, %q, %q", code, out, errs)
	}
	if line := l.next(t); !strings.Contains(line, `identity="token"`) {
		t.Errorf("listen printed %q, want the token identity", line)
	}
	if _, errs, code := run(t, "", "send", addr, "hi", "--tls-ca", ca, "--token-file", wrong); code != ExitFailure || !strings.Contains(errs, "denied") {
		t.Fatalf("send with a wrong token: exit %d, %q", code, errs)
	}
	if _, errs, code := run(t, "", "send", addr, "hi", "--token-file", token); code != ExitPeerGone || !strings.Contains(errs, "TLS") {
		t.Fatalf("plain send to a TLS endpoint: exit %d, %q", code, errs)
	}
	other, err := testcert.NewCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	otherCA, err := other.WriteCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, errs, code := run(t, "", "send", addr, "hi", "--tls-ca", otherCA, "--token-file", token); code != ExitFailure || !strings.Contains(errs, "certificate") {
		t.Fatalf("send to a server whose CA is not trusted: exit %d, %q", code, errs)
	}
}
