package winmsg

import (
	"fmt"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/winapi"
)

// find returns the window t names.
func find(t Target) (windows.HWND, error) {
	var hwnd windows.HWND
	switch t.Kind {
	case ByEndpoint:
		hwnd = findWindow(ClassName, t.Text)
	case ByTitle:
		hwnd = findWindow("", t.Text)
	case ByClass:
		hwnd = findWindow(t.Text, "")
	case ByPID:
		hwnd = mainWindow(t.PID)
	case ByHWND:
		if windows.IsWindow(windows.HWND(t.HWND)) {
			hwnd = windows.HWND(t.HWND)
		}
	}
	if hwnd == 0 {
		return 0, fmt.Errorf("%w: no window for winmsg:%s", transport.ErrNoEndpoint, t)
	}
	return hwnd, nil
}

// findWindow is FindWindow: the first top-level window with the class
// and title given; an empty string matches any.
func findWindow(class, title string) windows.HWND {
	var c, t *uint16
	var err error
	if class != "" {
		if c, err = windows.UTF16PtrFromString(class); err != nil {
			return 0
		}
	}
	if title != "" {
		if t, err = windows.UTF16PtrFromString(title); err != nil {
			return 0
		}
	}
	hwnd, _ := winapi.FindWindowEx(0, 0, c, t)
	return hwnd
}

// pidSearch is the state of one mainWindow enumeration.
type pidSearch struct {
	pid      uint32
	main     windows.HWND // first visible, unowned top-level window
	endpoint windows.HWND // first Postbox endpoint window
}

// enumProc is the EnumWindows callback, created once (Go allows few).
var enumProc = sync.OnceValue(func() uintptr { return windows.NewCallback(enumWindow) })

func enumWindow(hwnd windows.HWND, param unsafe.Pointer) uintptr {
	s := (*pidSearch)(param)
	var pid uint32
	if _, err := windows.GetWindowThreadProcessId(hwnd, &pid); err != nil || pid != s.pid {
		return 1
	}
	if s.main == 0 && winapi.GetWindow(hwnd, winapi.GW_OWNER) == 0 && windows.IsWindowVisible(hwnd) {
		s.main = hwnd
		return 0 // found: stop
	}
	if s.endpoint == 0 && className(hwnd) == ClassName {
		s.endpoint = hwnd
	}
	return 1
}

// mainWindow returns process pid's main window as .NET's
// Process.MainWindowHandle chooses it — the first visible top-level window
// without an owner — or, for a process without one (a Postbox program with
// only hidden endpoint windows), its first Postbox endpoint window.
//
// The search state lives on the heap: the callback's Go code may move this
// goroutine's stack while EnumWindows holds a pointer to it.
func mainWindow(pid uint32) windows.HWND {
	s := winapi.Heap[pidSearch]()
	s.pid = pid
	windows.EnumWindows(enumProc(), unsafe.Pointer(s))
	if s.main != 0 {
		return s.main
	}
	return s.endpoint
}

func className(hwnd windows.HWND) string {
	var buf [256]uint16
	n, err := windows.GetClassName(hwnd, &buf[0], int32(len(buf)))
	if err != nil {
		return ""
	}
	return windows.UTF16ToString(buf[:n])
}
