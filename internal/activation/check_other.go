//go:build !unix

package activation

import (
	"errors"
	"fmt"
	"runtime"
)

func closeOnExec(int) {}

func check(int, string) error {
	return fmt.Errorf("%w on %s", errors.ErrUnsupported, runtime.GOOS)
}
