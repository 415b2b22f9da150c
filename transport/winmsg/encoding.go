package winmsg

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// Encoding is the form WM_COPYDATA data takes between Postbox and a window.
// Message.Data is text in UTF-8 for ANSI and UTF16, bytes for Bytes.
type Encoding uint8

// Encodings.
const (
	// Bytes sends Message.Data as it is: cbData = len(Data).
	Bytes Encoding = iota
	// ANSI sends text in the system's ANSI code page with a trailing NUL,
	// cbData = len+1, like C#'s Encoding.Default and a [MarshalAs(LPStr)]
	// string in COPYDATASTRUCT (the seed's sender).
	ANSI
	// UTF16 sends text as UTF-16LE with a trailing NUL character, as a
	// wide (W) Win32 string.
	UTF16
)

var encNames = [...]string{Bytes: "bytes", ANSI: "ansi", UTF16: "utf16"}

func (e Encoding) String() string {
	if int(e) < len(encNames) {
		return encNames[e]
	}
	return fmt.Sprintf("Encoding(%d)", e)
}

// ParseEncoding parses "bytes", "ansi" or "utf16".
func ParseEncoding(s string) (Encoding, error) {
	for i, n := range encNames {
		if n == s {
			return Encoding(i), nil
		}
	}
	return Bytes, fmt.Errorf("%w: encoding %q: want bytes, ansi or utf16", transport.ErrBadAddress, s)
}

// Encode turns Message.Data into WM_COPYDATA bytes.
func (e Encoding) Encode(data []byte) ([]byte, error) {
	switch e {
	case ANSI:
		return toANSI(data)
	case UTF16:
		u := utf16.Encode([]rune(string(data)))
		out := make([]byte, 0, 2*len(u)+2)
		for _, c := range u {
			out = binary.LittleEndian.AppendUint16(out, c)
		}
		return append(out, 0, 0), nil
	}
	return data, nil
}

// Decode turns received WM_COPYDATA bytes back into UTF-8 text, up to the
// first NUL; Bytes returns data unchanged.
func (e Encoding) Decode(data []byte) ([]byte, error) {
	switch e {
	case ANSI:
		for i, b := range data {
			if b == 0 {
				data = data[:i]
				break
			}
		}
		return fromANSI(data)
	case UTF16:
		u := make([]uint16, 0, len(data)/2)
		for i := 0; i+1 < len(data); i += 2 {
			c := binary.LittleEndian.Uint16(data[i:])
			if c == 0 {
				break
			}
			u = append(u, c)
		}
		return []byte(string(utf16.Decode(u))), nil
	}
	return data, nil
}
