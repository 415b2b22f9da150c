package postbox

import (
	"errors"
	"os"
	"testing"
)

// The policy's decisions for peers of every kind, including the Windows
// ones no test machine here can produce (other users' tokens).
func TestPolicyDecides(t *testing.T) {
	const (
		users = "S-1-5-32-545"
		alice = "S-1-5-21-1-2-3-1002"
		bob   = "S-1-5-21-1-2-3-1003"
	)
	me := os.Geteuid()
	unix := func(uid, gid int, groups ...int) Peer { return Peer{PID: 1, UID: uid, GID: gid, Groups: groups} }
	win := func(sid string, groups ...string) Peer {
		return Peer{PID: 1, UID: -1, GID: -1, SID: sid, GroupSIDs: groups}
	}
	noBob := func(p Peer) error {
		if p.SID == bob || p.UID == 4242 {
			return errors.New("not you")
		}
		return nil
	}
	cases := []struct {
		name string
		p    policy
		peer Peer
		ok   bool
	}{
		{"own user", policy{}, unix(me, 0), true},
		{"another user", policy{}, unix(4242, 4242), false},
		{"listed user", policy{uids: []int{4242}}, unix(4242, 4242), true},
		{"primary group", policy{gids: []int{100}}, unix(4242, 100), true},
		{"supplementary group", policy{gids: []int{100}}, unix(4242, 4242, 27, 100), true},
		{"no matching group", policy{gids: []int{100}}, unix(4242, 4242, 27), false},
		{"no credentials", policy{}, Peer{UID: -1, GID: -1}, false},
		{"authenticated identity", policy{}, Peer{UID: -1, GID: -1, Identity: "CN=client"}, true},
		{"any user, then Authorize refuses", policy{anyUser: true, authorize: noBob}, unix(4242, 1), false},
		{"any user, Authorize admits", policy{anyUser: true, authorize: noBob}, unix(4243, 1), true},
		{"Windows: a listed user", policy{sids: []string{alice}}, win(alice), true},
		{"Windows: a member of a listed group", policy{sids: []string{users}}, win(bob, "S-1-1-0", users), true},
		{"Windows: not a member", policy{sids: []string{users}}, win(bob, "S-1-1-0"), false},
		{"Windows: Authorize still refuses", policy{sids: []string{users}, authorize: noBob}, win(bob, users), false},
		{"Windows: unlisted, ignoring UIDs", policy{uids: []int{-1}}, win(bob), false},
	}
	for _, c := range cases {
		if err := c.p.admit(c.peer); (err == nil) != c.ok {
			t.Errorf("%s: admit = %v, want admitted %v", c.name, err, c.ok)
		}
	}
}
