package winmsg

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/postbox-ipc/postbox/internal/namespace"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// Kind says how a Target names its window.
type Kind uint8

// Ways to name a window.
const (
	ByEndpoint Kind = iota // a Postbox endpoint's window, by name
	ByTitle                // FindWindow(NULL, title)
	ByClass                // FindWindow(class, NULL)
	ByPID                  // the process's main window
	ByHWND                 // a window handle
)

// Target is a parsed winmsg address.
type Target struct {
	Kind Kind
	Text string   // endpoint name, title or class
	PID  uint32   // ByPID
	HWND uintptr  // ByHWND
	Enc  Encoding // how WM_COPYDATA data is encoded
}

// ParseAddr parses a winmsg address (without "winmsg:"): NAME, title=TEXT,
// class=NAME, pid=N or hwnd=0xHEX, optionally followed by ?enc=ENCODING.
func ParseAddr(addr string) (Target, error) {
	var t Target
	addr, t.Enc = cutEncoding(addr)
	key, val, found := strings.Cut(addr, "=")
	var err error
	switch {
	case !found:
		t.Kind, t.Text, err = ByEndpoint, addr, namespace.ValidName(addr)
	case key == "title", key == "class":
		t.Kind, t.Text = ByTitle, val
		if key == "class" {
			t.Kind = ByClass
		}
		if val == "" {
			err = errors.New(key + " is empty")
		}
	case key == "pid":
		var n uint64
		n, err = strconv.ParseUint(val, 10, 32)
		t.Kind, t.PID = ByPID, uint32(n)
	case key == "hwnd":
		var n uint64
		n, err = strconv.ParseUint(strings.TrimPrefix(strings.ToLower(val), "0x"), 16, 64)
		t.Kind, t.HWND = ByHWND, uintptr(n)
	default:
		err = errors.New("want NAME, title=, class=, pid= or hwnd=")
	}
	if err != nil {
		return Target{}, fmt.Errorf("%w: winmsg:%s: %v", transport.ErrBadAddress, addr, err)
	}
	return t, nil
}

// cutEncoding splits off a trailing "?enc=NAME". A "?" followed by anything
// else belongs to the title.
func cutEncoding(addr string) (string, Encoding) {
	i := strings.LastIndex(addr, "?enc=")
	if i < 0 {
		return addr, Bytes
	}
	enc, err := ParseEncoding(addr[i+len("?enc="):])
	if err != nil {
		return addr, Bytes
	}
	return addr[:i], enc
}

// String formats t as an address, without "winmsg:".
func (t Target) String() string {
	var s string
	switch t.Kind {
	case ByEndpoint:
		s = t.Text
	case ByTitle:
		s = "title=" + t.Text
	case ByClass:
		s = "class=" + t.Text
	case ByPID:
		s = "pid=" + strconv.FormatUint(uint64(t.PID), 10)
	case ByHWND:
		s = HWNDAddr(t.HWND)
	}
	if t.Enc != Bytes {
		s += "?enc=" + t.Enc.String()
	}
	return s
}

// HWNDAddr is the address of a window handle, without "winmsg:".
func HWNDAddr(h uintptr) string { return "hwnd=0x" + strconv.FormatUint(uint64(h), 16) }
