package postbox

import "github.com/postbox-ipc/postbox/internal/winapi"

// sameUserSID reports whether a peer identified by a Windows SID (named
// pipes) runs as this process's user.
func sameUserSID(p Peer) bool {
	self, err := winapi.UserSID()
	return err == nil && p.SID != "" && p.SID == self
}
