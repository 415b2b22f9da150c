package wintest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox/internal/winapi"
)

// Name returns an endpoint name unique to this test and run.
func Name(t testing.TB) string {
	var b [4]byte
	rand.Read(b[:])
	base := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, t.Name())
	return "t" + base[:min(len(base), 60)] + "-" + hex.EncodeToString(b[:])
}

// IsWine reports whether the tests run under Wine.
func IsWine() bool { return winapi.IsWine() }

// SkipOnWine skips the test under Wine, naming the Wine limitation.
func SkipOnWine(t testing.TB, limitation string) {
	t.Helper()
	if IsWine() {
		t.Skip("Wine limitation: " + limitation)
	}
}

// Eventually polls cond until it holds or timeout passes: Wine stalls for
// up to a few hundred milliseconds under load, so tests wait for states
// rather than sleep for fixed times.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// InteropProgram returns the path of a mingw-built interop program
// (transport/winmsg/testdata/NAME.c), which scripts/wine-test.sh builds
// into $POSTBOX_INTEROP_BIN. Without it the test is skipped, or fails when
// POSTBOX_REQUIRE_INTEROP is set (as in CI).
func InteropProgram(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("POSTBOX_INTEROP_BIN")
	path := filepath.Join(dir, name+".exe")
	if _, err := os.Stat(path); dir == "" || err != nil {
		if os.Getenv("POSTBOX_REQUIRE_INTEROP") != "" {
			t.Fatalf("interop program %s missing from POSTBOX_INTEROP_BIN=%q", name, dir)
		}
		t.Skipf("interop program %s not built: run scripts/wine-test.sh (POSTBOX_INTEROP_BIN=%q)", name, dir)
	}
	return path
}
