package unix

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// checkServer decides whether a client may talk to the endpoint at an
// explicit socket path, by the user the kernel says runs it. In a
// namespace only its owner (or root, for the system one) can create a
// socket; an explicit path may sit in a directory others can write, such
// as /tmp, where anyone could have bound it first. So the endpoint must be
// run by the caller's own user, root, the owner of the socket's directory,
// or a user the caller trusts. An unknown user (a system that does not
// report it) is not refused.
func checkServer(path string, uid int, trust []int) error {
	if uid < 0 || uid == os.Geteuid() || uid == 0 || slices.Contains(trust, uid) {
		return nil
	}
	dir := filepath.Dir(path)
	if owner, ok := ownerOf(dir); ok && owner == uid {
		return nil
	}
	return fmt.Errorf("%w: %s is served by uid %d, who is not you, root or the owner of %s (Dialer.TrustUIDs adds users)",
		transport.ErrDenied, path, uid, dir)
}
