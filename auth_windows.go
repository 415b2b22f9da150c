package postbox

import "github.com/postbox-ipc/postbox/internal/winapi"

// selfSID is this process's user SID, published in the endpoint's info.
func selfSID() string {
	sid, _ := winapi.UserSID()
	return sid
}

// sameUserSID reports whether a peer identified by a Windows SID (named
// pipes) runs as this process's user.
func sameUserSID(p Peer) bool {
	self, err := winapi.UserSID()
	return err == nil && p.SID != "" && p.SID == self
}
