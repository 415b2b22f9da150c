//go:build unix

package postbox_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/postbox-ipc/postbox"
)

// sendAsUser runs childSend with the given credentials: one Send of
// message id to addr ("system:NAME" dials the system namespace). It
// returns the child's report: "ok DATA", "denied" or "error: …".
func sendAsUser(t *testing.T, cred *syscall.Credential, addr string, id uint32) string {
	t.Helper()
	cmd := childCmdAs(t, cred, envSendAs+"="+addr, envSendID+"="+strconv.FormatUint(uint64(id), 10))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child as uid %d: %v (%s)", cred.Uid, err, out)
	}
	return strings.TrimSpace(string(out))
}

var (
	nobody   = &syscall.Credential{Uid: 65534, Gid: 65534}                          // nobody, nogroup
	stranger = &syscall.Credential{Uid: 65533, Gid: 65533}                          // no group we allow
	member   = &syscall.Credential{Uid: 65533, Gid: 65533, Groups: []uint32{65534}} // nogroup as a supplementary group
)

// TestSystemEndpointPolicy runs a root endpoint in the system-wide
// namespace and has processes of other users dial it by name.
func TestSystemEndpointPolicy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the system namespace and other users' processes need root")
	}
	h := postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Data: []byte(fmt.Sprintf("uid %d gid %d groups %v", m.From.UID, m.From.GID, m.From.Groups))}, nil
	})
	groupName := ""
	if g, err := user.LookupGroupId("65534"); err == nil {
		groupName = g.Name
	}
	notNobody := func(p postbox.Peer) error {
		if p.UID == 65534 {
			return errors.New("nobody may not")
		}
		return nil
	}
	cases := []struct {
		name string
		lc   postbox.ListenConfig
		cred *syscall.Credential
		id   uint32
		want string
	}{
		{"default: root only", postbox.ListenConfig{}, nobody, postbox.CopyData, "denied"},
		{"primary group", postbox.ListenConfig{AllowGIDs: []int{65534}}, nobody, postbox.CopyData, "ok uid 65534 gid 65534 groups []"},
		{"supplementary group", postbox.ListenConfig{AllowGIDs: []int{65534}}, member, postbox.CopyData, "ok uid 65533 gid 65533 groups [65534]"},
		{"not in the group", postbox.ListenConfig{AllowGIDs: []int{65534}}, stranger, postbox.CopyData, "denied"},
		{"group by name", postbox.ListenConfig{AllowGroups: []string{groupName}}, member, postbox.CopyData, "ok uid 65533 gid 65533 groups [65534]"},
		{"user by ID", postbox.ListenConfig{AllowUIDs: []int{65533}}, stranger, postbox.CopyData, "ok uid 65533 gid 65533 groups []"},
		{"Authorize refuses", postbox.ListenConfig{AllowAnyUser: true, Authorize: notNobody}, nobody, postbox.CopyData, "denied"},
		{"Authorize admits", postbox.ListenConfig{AllowAnyUser: true, Authorize: notNobody}, stranger, postbox.CopyData, "ok uid 65533 gid 65533 groups []"},
		{"admitted, but may not watch", postbox.ListenConfig{AllowAnyUser: true}, nobody, postbox.StatsID, "denied"},
		{"admitted and may watch", postbox.ListenConfig{AllowAnyUser: true, WatchUIDs: []int{65534}}, nobody, postbox.StatsID, "ok {"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.lc.AllowGroups != nil && groupName == "" {
				t.Skip("gid 65534 has no name in the group database")
			}
			name := fmt.Sprintf("pbx-test-%d-%d", os.Getpid(), i)
			c.lc.System = true
			ep, err := c.lc.Listen(ctxT(t), name, h)
			if err != nil {
				t.Fatal(err)
			}
			defer ep.Close()
			got := sendAsUser(t, c.cred, "system:"+name, c.id)
			if got != c.want && (!strings.HasSuffix(c.want, "{") || !strings.HasPrefix(got, c.want)) {
				t.Fatalf("uid %d got %q, want %q", c.cred.Uid, got, c.want)
			}
		})
	}
}

func TestSystemNamespaceFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating the system namespace needs root")
	}
	name := fmt.Sprintf("pbx-test-files-%d", os.Getpid())
	ep, err := postbox.Listen(name, reply("x"), postbox.WithSystem())
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	for path, want := range map[string]os.FileMode{
		"/run/postbox":                   os.ModeDir | 0o755,
		"/run/postbox/" + name + ".sock": os.ModeSocket | 0o666,
		"/run/postbox/" + name + ".json": 0o644,
	} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode() != want {
			t.Errorf("%s: %v %v, want mode %v", path, fi.Mode(), err, want)
		}
	}
	if ep.Addrs()[0] != "unix:/run/postbox/"+name+".sock" {
		t.Errorf("address %v", ep.Addrs())
	}
	found := false
	infos, _ := postbox.List(ctxT(t))
	for _, in := range infos {
		found = found || in.Name == name && in.System
	}
	if !found {
		t.Errorf("List does not show the system endpoint: %+v", infos)
	}
	rep, err := postbox.Dial(ctxT(t), name, postbox.WithDialSystem())
	if err != nil {
		t.Fatal(err)
	}
	rep.Close()
}

func TestUnknownPolicyNamesFail(t *testing.T) {
	for _, lc := range []postbox.ListenConfig{
		{AllowUsers: []string{"no-such-user-pbx"}},
		{AllowGroups: []string{"no-such-group-pbx"}},
	} {
		if ep, err := lc.Listen(ctxT(t), "badpolicy", reply("x")); err == nil {
			ep.Close()
			t.Fatalf("Listen with %+v succeeded", lc)
		}
	}
}

// TestOneUserCannotLockOthersOut fills a system endpoint with one user's
// idle connections, as the reliability suite's floods do, and checks that
// the per-user quota (MaxConns/4 by default) keeps room for another user.
func TestOneUserCannotLockOthersOut(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the system namespace and other users' processes need root")
	}
	name := fmt.Sprintf("pbx-test-quota-%d", os.Getpid())
	lc := postbox.ListenConfig{System: true, AllowAnyUser: true}
	ep, err := lc.Listen(ctxT(t), name, postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Data: []byte(fmt.Sprintf("uid %d gid %d groups %v", m.From.UID, m.From.GID, m.From.Groups))}, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	const tries = 300
	var admitted, refused int
	for range tries {
		c, err := postbox.Dial(ctxT(t), name, postbox.WithDialSystem())
		switch {
		case err == nil:
			defer c.Close()
			admitted++
		case errors.Is(err, postbox.ErrLimit):
			refused++
		default:
			t.Fatalf("connection %d: %v", admitted+refused+1, err)
		}
	}
	if admitted != 256 || refused != tries-256 {
		t.Fatalf("one user's %d connections: %d admitted, %d refused; want 256 and the rest ErrLimit", tries, admitted, refused)
	}
	if got := sendAsUser(t, nobody, "system:"+name, postbox.CopyData); got != "ok uid 65534 gid 65534 groups []" {
		t.Fatalf("another user beside %d idle connections of root: %q", admitted, got)
	}
	t.Logf("%d of root's connections admitted, %d refused with ErrLimit; nobody was then served", admitted, refused)
}
