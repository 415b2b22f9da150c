//go:build !unix

package reliability

import (
	"errors"
	"fmt"
)

// freeze is unsupported: Windows has no SIGSTOP.
func (p *childProc) freeze() (thaw func(), err error) {
	return nil, fmt.Errorf("stopping a process: %w", errors.ErrUnsupported)
}
