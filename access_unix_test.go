//go:build unix

package postbox_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/postbox-ipc/postbox"
)

// sendAsNobody runs childSend as uid/gid 65534 and returns its report.
func sendAsNobody(t *testing.T, addr string) string {
	t.Helper()
	// The test binary must be readable by the other user.
	dir := publicDir(t)
	exe, _ := os.Executable()
	bin := filepath.Join(dir, "child.test")
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), envSendAs+"="+addr)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child as uid 65534: %v (%s)", err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestOtherUsers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("starting a process as another user needs root")
	}
	dir := publicDir(t)
	var handled atomic.Int64
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		handled.Add(1)
		return postbox.Reply{Data: []byte("welcome uid " + itoa(m.From.UID))}, nil
	})
	cases := []struct {
		name string
		opts []postbox.ListenOption
		want string
	}{
		{"default policy: same user only", nil, "denied"},
		{"allow-list without that user", []postbox.ListenOption{postbox.WithAllowUID(12345)}, "denied"},
		{"allow-list with that user", []postbox.ListenOption{postbox.WithAllowUID(65534)}, "ok welcome uid 65534"},
		{"allow-list by group", []postbox.ListenOption{postbox.WithAllowGID(65534)}, "ok welcome uid 65534"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := "unix:" + filepath.Join(dir, "ep"+itoa(i)+".sock")
			ep, err := postbox.Listen(addr, h, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer ep.Close()
			before := handled.Load()
			if got := sendAsNobody(t, addr); got != c.want {
				t.Fatalf("uid 65534 got %q, want %q", got, c.want)
			}
			if c.want == "denied" && handled.Load() != before {
				t.Fatalf("a denied peer's message reached the handler")
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// publicDir is a temporary directory other users can enter (t.TempDir's
// parent is private).
func publicDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pbx-public")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
