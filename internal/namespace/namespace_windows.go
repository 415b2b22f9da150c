package namespace

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// SystemDir is the system-wide namespace: %ProgramData%\postbox.
var SystemDir = filepath.Join(programData(), "postbox")

// programData is the machine-wide application data folder, from the shell's
// known folders (the same for services and users; Wine gives services
// another %ProgramData%), else the environment.
func programData() string {
	if d, err := windows.KnownFolderPath(windows.FOLDERID_ProgramData, 0); err == nil && filepath.IsAbs(d) {
		return d
	}
	if d := os.Getenv("ProgramData"); filepath.IsAbs(d) {
		return d
	}
	return `C:\ProgramData`
}

// userDir is %LOCALAPPDATA%\postbox.
func userDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("namespace: %w", err)
	}
	return filepath.Join(base, "postbox"), nil
}

// checkDir refuses a reparse point (symbolic link or junction) or a
// non-directory. The directory sits in the user's profile, which Windows
// already restricts to the user.
func checkDir(dir string, fi os.FileInfo, system bool) error {
	if fi.Mode()&os.ModeSymlink != 0 || fi.Mode()&os.ModeIrregular != 0 {
		return fmt.Errorf("%w: %s is a reparse point", ErrUnsafe, dir)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrUnsafe, dir)
	}
	return nil
}

func openLockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}

func tryLock(f *os.File) error {
	var ol windows.Overlapped
	err := windows.LockFileEx(windows.Handle(f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return errLocked
	}
	return err
}

func isLocked(path string) (bool, error) {
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var ol windows.Overlapped
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	// Unlock at once: a lock left to Close may linger, and a Claim
	// meanwhile would see a live owner.
	return false, windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, &ol)
}

// unlinkLock closes a held lock file, then removes it. Windows cannot
// delete a file others hold open, so a new owner that opened it meanwhile
// keeps it; and an open lock file could not be deleted at all.
func unlinkLock(f *os.File, path string) error {
	err := f.Close()
	os.Remove(path)
	return err
}
