//go:build !linux

package unix

// maxPath is sun_path's size on macOS and BSD less its terminating NUL.
const maxPath = 103
