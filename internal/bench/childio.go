package bench

import (
	"io"
	"os"
)

// ChildStdio returns the child's protocol channels: standard input, and
// the original standard output. Where the OS allows, standard output is
// then pointed at standard error, so that libraries which print (some log
// to stdout by default) cannot corrupt the protocol.
func ChildStdio() (in io.Reader, out io.Writer, err error) {
	f, err := reserveStdout()
	if err != nil {
		return nil, nil, err
	}
	return os.Stdin, f, nil
}
