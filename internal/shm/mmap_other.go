//go:build !linux

package shm

// unmap is never reached where regions cannot be made.
func unmap([]byte) {}

// unmapKeeping is never reached where regions cannot be made.
func unmapKeeping([]byte, []span) {}

// unmapPages is never reached where regions cannot be made.
func unmapPages([]byte) {}
