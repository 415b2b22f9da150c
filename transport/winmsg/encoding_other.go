//go:build !windows

package winmsg

import (
	"errors"
	"fmt"
	"runtime"
)

// Without Windows' code pages, ANSI text is limited to ASCII, which every
// ANSI code page shares.

func toANSI(data []byte) ([]byte, error) {
	if err := checkASCII(data); err != nil {
		return nil, err
	}
	return append(append(make([]byte, 0, len(data)+1), data...), 0), nil
}

func fromANSI(data []byte) ([]byte, error) {
	return data, checkASCII(data)
}

func checkASCII(data []byte) error {
	for _, b := range data {
		if b >= 0x80 {
			return fmt.Errorf("ANSI code page text beyond ASCII: %w on %s", errors.ErrUnsupported, runtime.GOOS)
		}
	}
	return nil
}
