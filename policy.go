package postbox

import (
	"errors"
	"fmt"
	"os"
	"slices"
)

// policy is a ListenConfig's access policy with user and group names
// resolved to IDs (Unix) or SIDs (Windows).
type policy struct {
	anyUser   bool
	uids      []int
	gids      []int
	sids      []string // Windows users and groups
	authorize func(Peer) error
}

// policy resolves lc's access policy. Unknown user or group names fail,
// so a typo never silently shuts everyone out (or lets everyone in).
func (lc *ListenConfig) policy() (*policy, error) {
	p := &policy{anyUser: lc.AllowAnyUser, uids: slices.Clone(lc.AllowUIDs), gids: slices.Clone(lc.AllowGIDs), authorize: lc.Authorize}
	for _, name := range lc.AllowUsers {
		id, sid, err := lookupUser(name)
		if err != nil {
			return nil, fmt.Errorf("access policy: %w", err)
		}
		p.add(id, sid, &p.uids)
	}
	for _, name := range lc.AllowGroups {
		id, sid, err := lookupGroup(name)
		if err != nil {
			return nil, fmt.Errorf("access policy: %w", err)
		}
		p.add(id, sid, &p.gids)
	}
	return p, nil
}

// add records a resolved user or group: its SID where it has one.
func (p *policy) add(id int, sid string, ids *[]int) {
	if sid != "" {
		p.sids = append(p.sids, sid)
	} else {
		*ids = append(*ids, id)
	}
}

// shared reports whether the policy admits other users, so transports
// open their files to them.
func (p *policy) shared() bool {
	return p.anyUser || len(p.uids) > 0 || len(p.gids) > 0 || len(p.sids) > 0
}

// admit decides on a peer: the endpoint's own user, a listed user, a
// member (primary or supplementary) of a listed group, or anyone with
// AllowAnyUser; then Authorize, when set, may still refuse. A peer without
// kernel credentials must have been authenticated by its transport.
func (p *policy) admit(peer Peer) error {
	if err := p.builtin(peer); err != nil {
		return err
	}
	if p.authorize != nil {
		return p.authorize(peer)
	}
	return nil
}

func (p *policy) builtin(peer Peer) error {
	switch {
	case p.anyUser, sameUserSID(peer):
		return nil
	case peer.UID < 0 && peer.Identity != "":
		return nil
	case peer.SID != "":
		if slices.Contains(p.sids, peer.SID) || slices.ContainsFunc(peer.GroupSIDs, func(g string) bool { return slices.Contains(p.sids, g) }) {
			return nil
		}
		return fmt.Errorf("user %s not allowed", peer.SID)
	case peer.UID < 0:
		return errors.New("peer has no credentials")
	case peer.UID == os.Geteuid(), slices.Contains(p.uids, peer.UID), p.inGroup(peer):
		return nil
	}
	return fmt.Errorf("uid %d not allowed", peer.UID)
}

func (p *policy) inGroup(peer Peer) bool {
	for _, g := range p.gids {
		if peer.GID == g || slices.Contains(peer.Groups, g) {
			return true
		}
	}
	return false
}
