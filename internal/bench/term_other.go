//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly && !windows

package bench

func isTerminal(uintptr) bool { return false }
