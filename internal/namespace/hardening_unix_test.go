//go:build unix

package namespace

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A namespace whose parent directory another user may write to, without
// the sticky bit, is refused: that user could rename the namespace away
// and put a symbolic link in its place between a check and a use.
func TestParentWritableByOthersRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving a directory to another user needs root")
	}
	cases := []struct {
		name  string
		mode  os.FileMode
		owner int
		ok    bool
	}{
		{"another user's 0777 directory", 0o777, 65534, false},
		{"our own 0777 directory", 0o777, os.Geteuid(), false},
		{"another user's 0755 directory", 0o755, 65534, false},
		{"a sticky 1777 directory like /tmp", 0o777 | os.ModeSticky, 0, true},
		{"our own 0700 directory", 0o700, os.Geteuid(), true},
		{"our own 0755 directory", 0o755, os.Geteuid(), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parent := filepath.Join(t.TempDir(), "xdg")
			if err := os.Mkdir(parent, 0o700); err != nil {
				t.Fatal(err)
			}
			os.Chmod(parent, c.mode)
			os.Chown(parent, c.owner, c.owner)
			t.Setenv("XDG_RUNTIME_DIR", parent)
			_, err := User()
			if c.ok && err != nil {
				t.Fatalf("User() under %s: %v", c.name, err)
			}
			if !c.ok && !errors.Is(err, ErrUnsafe) {
				t.Fatalf("User() under %s: %v, want ErrUnsafe", c.name, err)
			}
		})
	}
}
