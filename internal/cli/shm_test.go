package cli

import (
	"runtime"
	"strings"
	"testing"
)

// TestSendAndPostOverShm: a plain "postbox listen" accepts shared-memory
// upgrades, and "send"/"post" to shm:NAME go through them.
func TestSendAndPostOverShm(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the shm transport is implemented on Linux only")
	}
	l := startListen(t, "cli-shm", "--reply", "via shm")
	out, errs, code := run(t, "", "send", "shm:cli-shm", "hello shm")
	if code != 0 || out != "via shm\n" {
		t.Fatalf("send shm: exit %d, %q, %q", code, out, errs)
	}
	if line := l.next(t); !strings.Contains(line, "transport=shm") || !strings.Contains(line, `data="hello shm"`) {
		t.Fatalf("listen printed %q for a message sent over shm", line)
	}
	if _, errs, code := run(t, "", "post", "shm:cli-shm", "posted", "--count", "3"); code != 0 {
		t.Fatalf("post shm: exit %d %s", code, errs)
	}
	for range 3 {
		if line := l.next(t); !strings.Contains(line, "transport=shm") || !strings.Contains(line, `data="posted"`) {
			t.Fatalf("listen printed %q for a message posted over shm", line)
		}
	}
	if _, _, code := run(t, "", "send", "shm:cli-nobody", "x"); code != ExitNoEndpoint {
		t.Fatalf("send to a missing shm endpoint: exit %d, want %d", code, ExitNoEndpoint)
	}
}
