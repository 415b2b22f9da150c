package winmsg

import (
	"fmt"
	"unicode/utf16"

	"golang.org/x/sys/windows"

	"github.com/postbox-ipc/postbox/internal/winapi"
)

// toANSI converts UTF-8 text to the system's ANSI code page and appends a
// NUL. Characters the code page lacks become '?', as with .NET's
// Encoding.Default.
func toANSI(data []byte) ([]byte, error) {
	if len(data) == 0 {
		return []byte{0}, nil
	}
	u := utf16.Encode([]rune(string(data)))
	n, err := winapi.WideCharToMultiByte(winapi.CP_ACP, 0, &u[0], int32(len(u)), nil, 0, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("to the ANSI code page: %w", err)
	}
	out := make([]byte, n+1)
	if _, err := winapi.WideCharToMultiByte(winapi.CP_ACP, 0, &u[0], int32(len(u)), &out[0], n, nil, nil); err != nil {
		return nil, fmt.Errorf("to the ANSI code page: %w", err)
	}
	return out, nil
}

// fromANSI converts text in the system's ANSI code page to UTF-8.
func fromANSI(data []byte) ([]byte, error) {
	if len(data) == 0 {
		return nil, nil
	}
	n, err := windows.MultiByteToWideChar(winapi.CP_ACP, 0, &data[0], int32(len(data)), nil, 0)
	if err != nil {
		return nil, fmt.Errorf("from the ANSI code page: %w", err)
	}
	u := make([]uint16, n)
	if _, err := windows.MultiByteToWideChar(winapi.CP_ACP, 0, &data[0], int32(len(data)), &u[0], n); err != nil {
		return nil, fmt.Errorf("from the ANSI code page: %w", err)
	}
	return []byte(string(utf16.Decode(u))), nil
}
