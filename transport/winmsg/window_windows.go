package winmsg

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/postbox-ipc/postbox/internal/winapi"
)

// maxSizeProp is the window property through which an endpoint's window
// tells Postbox senders the largest WM_COPYDATA payload it accepts.
const maxSizeProp = "PostboxMaxSize"

// windows maps each endpoint window to its state, for the window procedure.
var (
	windowsMu sync.RWMutex
	byHWND    = map[windows.HWND]*window{}
)

// registerClass registers the PostboxEndpoint class once per process. The
// window procedure is a single callback (Go allows few), shared by every
// endpoint's window.
var registerClass = sync.OnceValue(func() error {
	var inst windows.Handle
	if err := windows.GetModuleHandleEx(0, nil, &inst); err != nil {
		return fmt.Errorf("module handle: %w", err)
	}
	name, _ := windows.UTF16PtrFromString(ClassName)
	wc := winapi.WndClassEx{
		WndProc:   windows.NewCallback(wndProc),
		Instance:  inst,
		ClassName: name,
	}
	wc.Size = uint32(unsafe.Sizeof(wc))
	_, err := winapi.RegisterClassEx(&wc)
	if err != nil && !errors.Is(err, windows.ERROR_CLASS_ALREADY_EXISTS) {
		return fmt.Errorf("register window class %s: %w", ClassName, err)
	}
	return nil
})

// wndProc is the window procedure of every endpoint window. lParam is an
// unsafe.Pointer so that WM_COPYDATA's COPYDATASTRUCT can be read without
// converting an integer to a pointer.
func wndProc(hwnd windows.HWND, msg uint32, wParam uintptr, lParam unsafe.Pointer) uintptr {
	windowsMu.RLock()
	w := byHWND[hwnd]
	windowsMu.RUnlock()
	if w != nil {
		if r, ok := w.handle(msg, wParam, lParam); ok {
			return r
		}
	}
	return winapi.DefWindowProc(hwnd, msg, wParam, uintptr(lParam))
}

// handle answers the messages the endpoint owns; the rest go to
// DefWindowProc.
func (w *window) handle(msg uint32, wParam uintptr, lParam unsafe.Pointer) (uintptr, bool) {
	switch {
	case msg == winapi.WM_COPYDATA:
		return w.rx.copyData(wParam, (*winapi.CopyDataStruct)(lParam)), true
	case forHandler(msg):
		return w.rx.sent(msg, wParam, uintptr(lParam)), true
	case msg == winapi.WM_CLOSE:
		if w.closing.Load() {
			winapi.DestroyWindow(w.hwnd)
		}
		return 0, true // only the endpoint closes its window
	case msg == winapi.WM_DESTROY:
		winapi.PostQuitMessage(0)
		return 0, true
	}
	return 0, false
}

// forHandler reports whether a message other than WM_COPYDATA goes to the
// endpoint's handler: the private and registered ranges.
func forHandler(msg uint32) bool {
	return msg >= winapi.WM_USER && msg <= winapi.MaxMessageID
}

// window is an endpoint's window and the thread that runs it.
type window struct {
	name    string
	hwnd    windows.HWND
	rx      *receiver
	closing atomic.Bool
	done    chan struct{} // closed when the thread has ended
}

// openWindow starts the window's thread and waits until the window exists.
func openWindow(name string, rx *receiver) (*window, error) {
	if err := registerClass(); err != nil {
		return nil, err
	}
	w := &window{name: name, rx: rx, done: make(chan struct{})}
	ready := make(chan error, 1)
	go w.run(ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return w, nil
}

// run owns the window: it creates it, pumps its messages and ends when the
// window is destroyed. The OS thread stays locked, so it ends with the
// goroutine rather than carry window state to other goroutines.
func (w *window) run(ready chan<- error) {
	runtime.LockOSThread()
	defer close(w.done)
	hwnd, err := createWindow(w.name)
	if err != nil {
		ready <- err
		return
	}
	w.hwnd = hwnd
	w.rx.hwnd = hwnd
	windowsMu.Lock()
	byHWND[hwnd] = w
	windowsMu.Unlock()
	defer func() {
		windowsMu.Lock()
		delete(byHWND, hwnd)
		windowsMu.Unlock()
	}()
	prop, _ := windows.UTF16PtrFromString(maxSizeProp)
	_ = winapi.SetProp(hwnd, prop, uintptr(w.rx.max))
	ready <- nil
	w.pump()
	winapi.RemoveProp(hwnd, prop)
}

// createWindow makes a hidden top-level window of the endpoint class,
// titled name. It is never shown, activated or listed in the taskbar.
func createWindow(name string) (windows.HWND, error) {
	class, _ := windows.UTF16PtrFromString(ClassName)
	title, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return 0, err
	}
	var inst windows.Handle
	_ = windows.GetModuleHandleEx(0, nil, &inst)
	hwnd, err := winapi.CreateWindowEx(winapi.WS_EX_TOOLWINDOW|winapi.WS_EX_NOACTIVATE, class, title,
		winapi.WS_OVERLAPPED, winapi.CW_USEDEFAULT, winapi.CW_USEDEFAULT, winapi.CW_USEDEFAULT, winapi.CW_USEDEFAULT,
		0, 0, inst, nil)
	if hwnd == 0 {
		return 0, fmt.Errorf("create window %q: %w", name, err)
	}
	return hwnd, nil
}

// pump is the message loop. Posted messages for the handler are queued
// straight from it; everything else is dispatched to the window procedure.
// The MSG lives on the heap: GetMessage runs the window procedure for sent
// messages, whose Go code may move this goroutine's stack.
func (w *window) pump() {
	m := winapi.Heap[winapi.Msg]()
	for {
		r, err := winapi.GetMessage(m, 0, 0, 0)
		if r == 0 || err != nil {
			return
		}
		if m.Hwnd == w.hwnd && forHandler(m.Message) {
			w.rx.posted(m.Message, m.WParam, m.LParam)
			continue
		}
		winapi.TranslateMessage(m)
		winapi.DispatchMessage(m)
	}
}

// close destroys the window from its own thread and waits for the thread
// to end. The endpoint's loop is closed first, so no handler holds the
// thread for long. close is idempotent.
func (w *window) close() {
	if !w.closing.Swap(true) {
		if winapi.PostMessage(w.hwnd, winapi.WM_CLOSE, 0, 0) != nil {
			// The posted-message queue is full: a sent message still
			// gets through.
			_, _ = winapi.SendMessageTimeout(w.hwnd, winapi.WM_CLOSE, 0, 0, winapi.SMTO_NORMAL, 0xFFFFFFFF, winapi.Heap[uintptr]())
		}
	}
	<-w.done
}
