//go:build unix

package postbox_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// In a shared sticky directory (like /tmp), another user may plant symbolic
// links where an endpoint at an explicit path puts its files; a victim
// that cannot remove them (the sticky bit) must never write through them.
func TestSharedDirectorySymlinksNeverFollowed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("playing two other users needs root")
	}
	const victim, attacker = 65534, 65533
	for _, planted := range []string{"app.json.tmp", "app.json", "app.lock", "app.sock"} {
		t.Run(planted, func(t *testing.T) {
			shared := publicDir(t)
			os.Chmod(shared, 0o777|os.ModeSticky)
			private := publicDir(t)
			os.Chown(private, victim, victim)
			secret := filepath.Join(private, "secret")
			if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
				t.Fatal(err)
			}
			os.Chown(secret, victim, victim)
			link := filepath.Join(shared, planted)
			if err := os.Symlink(secret, link); err != nil {
				t.Fatal(err)
			}
			os.Lchown(link, attacker, attacker)
			got := runAsNobody(t, asListen, "unix:"+filepath.Join(shared, "app.sock"))
			b, err := os.ReadFile(secret)
			if err != nil || string(b) != "secret" {
				t.Fatalf("Listen by uid %d beside a planted %s (%s) wrote through the link: the target now holds %q (%v)", victim, planted, got, b, err)
			}
			t.Logf("planted %s → Listen: %s", planted, strings.TrimSpace(got))
		})
	}
}
