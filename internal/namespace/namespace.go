// Package namespace manages where endpoints live on one machine: the per-user
// and system-wide directories, the lock that makes a name unique, the info
// file that lets List find live endpoints, and the safe takeover of a name
// whose owner died.
//
// Layout of a namespace directory, for an endpoint named NAME:
//
//	NAME.lock  held (locked) by the owner for as long as it lives
//	NAME.sock  the Unix socket (Unix transports)
//	NAME.json  Info, written atomically once the endpoint listens
package namespace

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// Namespace is one directory of endpoints.
type Namespace struct {
	Dir    string
	System bool
}

// User returns the calling user's namespace, creating it 0700 if needed and
// refusing one that is not safely ours.
func User() (*Namespace, error) {
	dir, err := userDir()
	if err != nil {
		return nil, err
	}
	if err := ensureDir(dir, false); err != nil {
		return nil, err
	}
	return &Namespace{Dir: dir}, nil
}

// System returns the system-wide namespace. Only a privileged process can
// create it; anyone may use one that exists and is safe.
func System() (*Namespace, error) {
	if err := ensureDir(SystemDir, true); err != nil {
		return nil, err
	}
	return &Namespace{Dir: SystemDir, System: true}, nil
}

// Open returns the user's or the system namespace.
func Open(system bool) (*Namespace, error) {
	if system {
		return System()
	}
	return User()
}

// ForPath returns a pseudo-namespace for an endpoint at an explicit socket
// path: its lock and info files sit beside the socket. The directory is not
// created or checked beyond existing.
func ForPath(path string) (ns *Namespace, name string, err error) {
	if !filepath.IsAbs(path) {
		return nil, "", fmt.Errorf("%w: socket path %q is not absolute", transport.ErrBadAddress, path)
	}
	dir, base := filepath.Split(path)
	name = strings.TrimSuffix(base, ".sock")
	if err := ValidName(name); err != nil {
		return nil, "", err
	}
	return &Namespace{Dir: filepath.Clean(dir)}, name, nil
}

// ValidName checks an endpoint name: 1 to 100 bytes of letters, digits and
// ". _ - @ +", not starting with a dot.
func ValidName(name string) error {
	if name == "" || len(name) > 100 || name[0] == '.' {
		return fmt.Errorf("%w: endpoint name %q: want 1-100 characters, not starting with '.'", transport.ErrBadAddress, name)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@+", r)
		if !ok {
			return fmt.Errorf("%w: endpoint name %q: character %q not allowed", transport.ErrBadAddress, name, r)
		}
	}
	return nil
}

// Path returns the path of one of name's files ("sock", "lock", "json").
func (ns *Namespace) Path(name, ext string) string {
	return filepath.Join(ns.Dir, name+"."+ext)
}

// ErrUnsafe reports a namespace directory that cannot be trusted.
var ErrUnsafe = fmt.Errorf("%w: unsafe namespace directory", transport.ErrDenied)

func ensureDir(dir string, system bool) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, os.ErrNotExist) {
		mode := os.FileMode(0o700)
		if system {
			mode = 0o755
		}
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return fmt.Errorf("namespace: %w", err)
		}
		if err := os.Mkdir(dir, mode); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("namespace: %w", err)
		}
		fi, err = os.Lstat(dir)
	}
	if err != nil {
		return fmt.Errorf("namespace: %w", err)
	}
	return checkDir(dir, fi, system)
}
