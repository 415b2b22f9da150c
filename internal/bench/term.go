package bench

import "io"

// IsTerminal reports whether w is a terminal (so progress can be redrawn in
// place).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && isTerminal(f.Fd())
}
