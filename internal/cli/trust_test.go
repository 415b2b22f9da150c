package cli

import (
	"flag"
	"io"
	"slices"
	"testing"
)

// --trust-uid reaches the Dialer, repeatable; a value that is not a user
// ID is a usage error (exit 2).
func TestTrustUIDFlag(t *testing.T) {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := addDialTCPFlags(fs)
	if _, err := parse(fs, []string{"unix:/srv/app.sock", "--trust-uid", "65534", "--trust-uid", "7"}); err != nil {
		t.Fatal(err)
	}
	d, err := f.dialer()
	if err != nil || !slices.Equal(d.TrustUIDs, []int{65534, 7}) {
		t.Fatalf("Dialer.TrustUIDs = %v, %v; want [65534 7]", d.TrustUIDs, err)
	}
	if _, errs, code := run(t, "", "send", "unix:/srv/app.sock", "--trust-uid", "alice"); code != 2 {
		t.Fatalf("--trust-uid alice: exit %d (%s), want 2", code, errs)
	}
}
