//go:build !windows

package postbox

// selfSID is this process's user SID; there is none here.
func selfSID() string { return "" }

// sameUserSID reports whether a peer identified by a Windows SID runs as
// this process's user; peers never carry one here.
func sameUserSID(Peer) bool { return false }
