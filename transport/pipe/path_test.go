package pipe

import (
	"errors"
	"testing"

	"github.com/postbox-ipc/postbox/internal/transport"
)

func TestPathRoundTrips(t *testing.T) {
	for _, c := range []struct{ owner, name string }{
		{"S-1-5-21-1004336348-1177238915-682003330-512", "viewer"},
		{SystemOwner, "svc.main"},
		{"S-1-5-18", "a.b.c"},
	} {
		p := Path(c.owner, c.name)
		owner, name, err := ParsePath(p)
		if err != nil || owner != c.owner || name != c.name {
			t.Errorf("ParsePath(%q) = %q, %q, %v", p, owner, name, err)
		}
	}
	if owner, name, err := ParsePath(`\\.\PIPE\Postbox.system.x`); err != nil || owner != SystemOwner || name != "x" {
		t.Errorf("pipe names ignore case: %q %q %v", owner, name, err)
	}
}

func TestParsePathRejects(t *testing.T) {
	for _, p := range []string{
		`\\.\pipe\other`, `\\.\pipe\postbox.`, `\\.\pipe\postbox.S-1-5-18`, `\\.\pipe\postbox.nobody.x`,
		`\\.\pipe\postbox.S-1-5-18.bad\name`, `\\host\pipe\postbox.system.x`, `\\.\pipe\postbox.S-1-X.y`,
	} {
		if _, _, err := ParsePath(p); !errors.Is(err, transport.ErrBadAddress) {
			t.Errorf("ParsePath(%q): %v, want ErrBadAddress", p, err)
		}
	}
}

func TestSDDL(t *testing.T) {
	const me = "S-1-5-21-1-2-3-1001"
	const users, alice = "S-1-5-32-545", "S-1-5-21-1-2-3-1002"
	cases := []struct {
		system, shared bool
		allow          []string
		want           string
	}{
		{false, false, nil, "O:" + me + "D:P(A;;GA;;;" + me + ")(A;;GA;;;SY)"},
		{false, true, nil, "O:" + me + "D:P(A;;GA;;;" + me + ")(A;;GA;;;SY)(A;;0x12019b;;;AU)"},
		{true, false, nil, "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;" + me + ")(A;;0x12019b;;;AU)"},
		// A policy that names who may connect: only they are in the DACL.
		{true, true, []string{users}, "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;" + me + ")(A;;0x12019b;;;" + users + ")"},
		{false, true, []string{alice, users}, "O:" + me + "D:P(A;;GA;;;" + me + ")(A;;GA;;;SY)(A;;0x12019b;;;" + alice + ")(A;;0x12019b;;;" + users + ")"},
	}
	for _, c := range cases {
		if got := sddl(me, c.system, c.shared, c.allow...); got != c.want {
			t.Errorf("sddl(system=%v, shared=%v, %v) = %s, want %s", c.system, c.shared, c.allow, got, c.want)
		}
	}
}
