//go:build unix

package postbox_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// A client dialing an explicit socket path checks who serves it: in a
// directory anyone can write (like /tmp) another user may have bound the
// path first, and the client must not hand that impostor its messages. The
// endpoint's user must be the caller's, root, the directory's owner, or
// one the Dialer trusts.
func TestExplicitPathServedByAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("starting a process as another user needs root")
	}
	serve := func(dir string) string {
		addr := "unix:" + filepath.Join(dir, "app.sock")
		_, out := startAsNobody(t, asServe, addr)
		if line, err := out.ReadString('\n'); strings.TrimSpace(line) != "ready" {
			t.Fatalf("endpoint as uid 65534: %q, %v", line, err)
		}
		return addr
	}
	send := func(d *postbox.Dialer, addr string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := d.Dial(ctx, addr)
		if err != nil {
			return "", err
		}
		defer c.Close()
		rep, err := c.Send(ctx, postbox.Message{ID: postbox.CopyData, Data: []byte("secret")})
		return string(rep.Data), err
	}

	shared := publicDir(t) // root's, writable by all, sticky: like /tmp
	os.Chmod(shared, 0o777|os.ModeSticky)
	addr := serve(shared)
	if got, err := send(&postbox.Dialer{}, addr); !errors.Is(err, postbox.ErrDenied) {
		t.Fatalf("dialing uid 65534's endpoint in a shared directory: %q, %v; want ErrDenied", got, err)
	}
	if got, err := send(&postbox.Dialer{TrustUIDs: []int{65534}}, addr); err != nil || got != "served by uid 65534" {
		t.Fatalf("with TrustUIDs 65534: %q, %v", got, err)
	}

	own := publicDir(t) // the endpoint's user owns the directory
	os.Chown(own, 65534, 65534)
	if got, err := send(&postbox.Dialer{}, serve(own)); err != nil || got != "served by uid 65534" {
		t.Fatalf("in a directory uid 65534 owns: %q, %v", got, err)
	}
}
