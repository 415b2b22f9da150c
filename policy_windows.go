package postbox

import (
	"fmt"
	"os/user"
	"strings"

	"golang.org/x/sys/windows"
)

// lookupUser resolves a user name ("alice", `DOMAIN\alice`) or a SID
// string to the user's SID.
func lookupUser(name string) (uid int, sid string, err error) {
	if strings.HasPrefix(name, "S-1-") {
		return -1, name, checkSID(name)
	}
	u, err := user.Lookup(name)
	if err != nil {
		return -1, "", err
	}
	return -1, u.Uid, nil // a SID on Windows
}

// lookupGroup resolves a group name ("Users", `BUILTIN\Users`) or a SID
// string to the group's SID.
func lookupGroup(name string) (gid int, sid string, err error) {
	if strings.HasPrefix(name, "S-1-") {
		return -1, name, checkSID(name)
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return -1, "", err
	}
	return -1, g.Gid, nil
}

func checkSID(s string) error {
	if _, err := windows.StringToSid(s); err != nil {
		return fmt.Errorf("%q is not a SID: %w", s, err)
	}
	return nil
}
