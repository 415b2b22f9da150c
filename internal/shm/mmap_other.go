//go:build !linux

package shm

// unmapKeeping is never reached where regions cannot be made.
func unmapKeeping([]byte, []span) {}

// unmapPages is never reached where regions cannot be made.
func unmapPages([]byte) {}
