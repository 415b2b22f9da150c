package namespace

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// Info describes a live endpoint; its owner publishes it in NAME.json.
type Info struct {
	Name       string    `json:"name"`
	PID        int       `json:"pid"`
	Program    string    `json:"program"`
	UID        int       `json:"uid"`
	SID        string    `json:"sid,omitempty"` // the owner's user SID (Windows)
	Started    time.Time `json:"started"`
	Transports []string  `json:"transports"` // addresses clients can dial
}

// Claim is the ownership of one name, held until Release.
type Claim struct {
	ns   *Namespace
	name string
	lock *os.File
}

// errLocked is what tryLock returns when another owner holds the lock.
var errLocked = errors.New("locked")

// Claim takes name for the calling process. It fails with ErrNameInUse while
// a live owner holds it; a dead owner's lock is free, so a stale name is
// taken over.
func (ns *Namespace) Claim(name string) (*Claim, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	path := ns.Path(name, "lock")
	for range 5 {
		f, err := openLockFile(path)
		if err != nil {
			return nil, fmt.Errorf("claim %q: %w", name, err)
		}
		if err := tryLock(f); err != nil {
			f.Close()
			if errors.Is(err, errLocked) {
				return nil, fmt.Errorf("%w: %q%s", transport.ErrNameInUse, name, ns.ownerHint(name))
			}
			return nil, fmt.Errorf("claim %q: %w", name, err)
		}
		// An owner that released meanwhile unlinked the file we locked:
		// our lock then guards nothing, so start again.
		if sameFile(f, path) {
			return &Claim{ns: ns, name: name, lock: f}, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("%w: %q: lock file keeps changing", transport.ErrNameInUse, name)
}

func sameFile(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Lstat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

func (ns *Namespace) ownerHint(name string) string {
	if info, err := ns.readInfo(name); err == nil {
		return fmt.Sprintf(" (pid %d, %s)", info.PID, info.Program)
	}
	return ""
}

// Name is the claimed name.
func (c *Claim) Name() string { return c.name }

// Namespace is where the name was claimed.
func (c *Claim) Namespace() *Namespace { return c.ns }

// Publish writes info so List can find the endpoint. The file appears
// atomically: it is written to a new temporary file (created exclusively,
// so a link planted in a shared directory is never followed) and renamed
// into place.
func (c *Claim) Publish(info Info) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	path := c.ns.Path(c.name, "json")
	tmp, err := os.CreateTemp(c.ns.Dir, c.name+".json.*.tmp")
	if err != nil {
		return fmt.Errorf("publish %q: %w", c.name, err)
	}
	_, err = tmp.Write(append(b, '\n'))
	err = errors.Join(err, tmp.Chmod(0o644&infoMode(c.ns)), tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("publish %q: %w", c.name, err)
	}
	return nil
}

func infoMode(ns *Namespace) os.FileMode {
	if ns.System {
		return 0o644
	}
	return 0o600
}

// Release removes the name's files and gives the name up. Extra paths (the
// socket, say) are removed first. Release is idempotent.
func (c *Claim) Release(extra ...string) error {
	if c.lock == nil {
		return nil
	}
	for _, p := range extra {
		os.Remove(p)
	}
	os.Remove(c.ns.Path(c.name, "json"))
	err := unlinkLock(c.lock, c.ns.Path(c.name, "lock"))
	c.lock = nil
	return err
}
