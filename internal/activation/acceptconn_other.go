//go:build unix && !linux

package activation

import "errors"

// acceptConn is unknown here; net.FileListener still refuses a socket
// that cannot accept.
func acceptConn(int) (bool, error) { return false, errors.ErrUnsupported }
