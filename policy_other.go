//go:build !windows

package postbox

import (
	"fmt"
	"os/user"
	"strconv"
)

// lookupUser resolves a user name to its numeric ID.
func lookupUser(name string) (uid int, sid string, err error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, "", err
	}
	uid, err = strconv.Atoi(u.Uid)
	if err != nil {
		return 0, "", fmt.Errorf("user %q has no numeric ID here (%s)", name, u.Uid)
	}
	return uid, "", nil
}

// lookupGroup resolves a group name to its numeric ID.
func lookupGroup(name string) (gid int, sid string, err error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, "", err
	}
	gid, err = strconv.Atoi(g.Gid)
	if err != nil {
		return 0, "", fmt.Errorf("group %q has no numeric ID here (%s)", name, g.Gid)
	}
	return gid, "", nil
}
