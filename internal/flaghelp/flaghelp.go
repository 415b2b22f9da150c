// Package flaghelp prints a flag set's defaults without the flags a
// program keeps for itself (a child it re-executes, say).
package flaghelp

import (
	"flag"
	"io"
	"slices"
)

// PrintDefaults is fs.PrintDefaults to w, leaving out the hidden flags.
func PrintDefaults(w io.Writer, fs *flag.FlagSet, hidden ...string) {
	shown := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	shown.SetOutput(w)
	fs.VisitAll(func(f *flag.Flag) {
		if !slices.Contains(hidden, f.Name) {
			shown.Var(f.Value, f.Name, f.Usage)
			shown.Lookup(f.Name).DefValue = f.DefValue
		}
	})
	shown.PrintDefaults()
}
