//go:build unix

package namespace

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// SystemDir is the system-wide namespace.
const SystemDir = "/run/postbox"

// userDir is $XDG_RUNTIME_DIR/postbox, else /tmp/postbox-UID.
func userDir() (string, error) {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "postbox"), nil
	}
	return filepath.Join(os.TempDir(), "postbox-"+strconv.Itoa(os.Geteuid())), nil
}

// checkDir refuses a directory that is a symlink, is not a directory, is
// owned by someone else, or is writable by others.
func checkDir(dir string, fi os.FileInfo, system bool) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		return fmt.Errorf("%w: %s is a symbolic link", ErrUnsafe, dir)
	case !fi.IsDir():
		return fmt.Errorf("%w: %s is not a directory", ErrUnsafe, dir)
	case !ok:
		return fmt.Errorf("%w: %s: cannot read its owner", ErrUnsafe, dir)
	case system && st.Uid != 0:
		return fmt.Errorf("%w: %s is owned by uid %d, not root", ErrUnsafe, dir, st.Uid)
	case system && fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("%w: %s has mode %v: writable by others", ErrUnsafe, dir, fi.Mode().Perm())
	case !system && int(st.Uid) != os.Geteuid():
		return fmt.Errorf("%w: %s is owned by uid %d, not %d", ErrUnsafe, dir, st.Uid, os.Geteuid())
	case !system && fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("%w: %s has mode %v, want 0700", ErrUnsafe, dir, fi.Mode().Perm())
	}
	return checkParent(filepath.Dir(dir))
}

// checkParent refuses a parent directory in which another user could
// rename the namespace away and put something else in its place: one owned
// by another user (root aside), or writable by others without the sticky
// bit (as /tmp has).
func checkParent(parent string) error {
	fi, err := os.Stat(parent)
	if err != nil {
		return fmt.Errorf("namespace: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !ok:
		return fmt.Errorf("%w: %s: cannot read its owner", ErrUnsafe, parent)
	case st.Uid != 0 && int(st.Uid) != os.Geteuid():
		return fmt.Errorf("%w: its parent %s is owned by uid %d", ErrUnsafe, parent, st.Uid)
	case fi.Mode().Perm()&0o022 != 0 && fi.Mode()&os.ModeSticky == 0:
		return fmt.Errorf("%w: its parent %s has mode %v: others may replace it", ErrUnsafe, parent, fi.Mode())
	}
	return nil
}

// unlinkLock removes a held lock file, then closes it: still locked, so
// nobody else owns the file while it goes.
func unlinkLock(f *os.File, path string) error {
	os.Remove(path)
	return f.Close()
}
