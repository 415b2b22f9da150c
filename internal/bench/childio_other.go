//go:build !unix

package bench

import "os"

// reserveStdout keeps standard output as it is on this OS.
func reserveStdout() (*os.File, error) { return os.Stdout, nil }
