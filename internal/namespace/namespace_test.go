package namespace

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox/internal/transport"
)

func userNS(t *testing.T) *Namespace {
	t.Helper()
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	ns, err := User()
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func TestUserDirCreatedPrivate(t *testing.T) {
	ns := userNS(t)
	fi, err := os.Stat(ns.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Fatalf("namespace mode %v, want 0700", fi.Mode().Perm())
	}
}

func TestUnsafeDirRefused(t *testing.T) {
	base := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", base)
	dir := filepath.Join(base, "postbox")

	// World-readable directory.
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	if _, err := User(); !errors.Is(err, ErrUnsafe) || !errors.Is(err, transport.ErrDenied) {
		t.Fatalf("0755 namespace: %v, want ErrUnsafe", err)
	}
	os.Remove(dir)

	// A symbolic link to somewhere else is never followed.
	target := t.TempDir()
	os.Chmod(target, 0o700)
	if err := os.Symlink(target, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := User(); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("symlinked namespace: %v, want ErrUnsafe", err)
	}
	os.Remove(dir)

	// A file instead of a directory.
	os.WriteFile(dir, nil, 0o600)
	if _, err := User(); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("file as namespace: %v, want ErrUnsafe", err)
	}
	os.Remove(dir)

	// Owned by another user (we run as root in CI; skip otherwise).
	if os.Geteuid() == 0 {
		os.Mkdir(dir, 0o700)
		os.Chown(dir, 65534, 65534)
		if _, err := User(); !errors.Is(err, ErrUnsafe) {
			t.Fatalf("namespace owned by uid 65534: %v, want ErrUnsafe", err)
		}
	}
}

func TestClaimIsExclusiveAndReleasable(t *testing.T) {
	ns := userNS(t)
	c, err := ns.Claim("viewer")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ns.Claim("viewer"); !errors.Is(err, transport.ErrNameInUse) {
		t.Fatalf("second claim: %v, want ErrNameInUse", err)
	}
	if err := c.Publish(Info{Name: "viewer", PID: os.Getpid(), Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if infos, _ := ns.List(); len(infos) != 1 || infos[0].Name != "viewer" {
		t.Fatalf("List = %+v, want viewer", infos)
	}
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
	if infos, _ := ns.List(); len(infos) != 0 {
		t.Fatalf("List after release = %+v", infos)
	}
	c2, err := ns.Claim("viewer")
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	c2.Release()
	c2.Release() // idempotent
}

func TestStaleInfoNotListed(t *testing.T) {
	ns := userNS(t)
	// A dead owner leaves its files behind: the lock file exists but is
	// not locked.
	os.WriteFile(ns.Path("ghost", "lock"), nil, 0o600)
	os.WriteFile(ns.Path("ghost", "json"), []byte(`{"name":"ghost","pid":1}`), 0o600)
	if infos, _ := ns.List(); len(infos) != 0 {
		t.Fatalf("a dead owner's endpoint is listed: %+v", infos)
	}
	c, err := ns.Claim("ghost")
	if err != nil {
		t.Fatalf("taking over a dead owner's name: %v", err)
	}
	c.Release()
}

func TestConcurrentClaimsOneWinner(t *testing.T) {
	ns := userNS(t)
	var wins atomic.Int32
	var wg sync.WaitGroup
	claims := make(chan *Claim, 100)
	for range 100 {
		wg.Go(func() {
			c, err := ns.Claim("single")
			if err == nil {
				wins.Add(1)
				claims <- c
			} else if !errors.Is(err, transport.ErrNameInUse) {
				t.Errorf("claim: %v", err)
			}
		})
	}
	wg.Wait()
	close(claims)
	if wins.Load() != 1 {
		t.Fatalf("%d of 100 concurrent claims won, want exactly 1", wins.Load())
	}
	for c := range claims {
		c.Release()
	}
}

func TestValidName(t *testing.T) {
	for _, ok := range []string{"viewer", "a", "his-app_2.0", "user@host+x"} {
		if err := ValidName(ok); err != nil {
			t.Errorf("%q rejected: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".hidden", "a/b", "../x", "a b", "ü", string(make([]byte, 101))} {
		if err := ValidName(bad); !errors.Is(err, transport.ErrBadAddress) {
			t.Errorf("%q accepted (%v)", bad, err)
		}
	}
}
