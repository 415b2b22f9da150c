//go:build !windows

package postbox

// companions are the transports every endpoint on this OS also listens on
// under its name, besides its own and inproc.
var companions []string
