package winapi

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

//go:generate go run golang.org/x/sys/windows/mkwinsyscall -output zsyscall_windows.go syscall_windows.go

// user32: window classes, windows and message loops.
//sys	RegisterClassEx(class *WndClassEx) (atom uint16, err error) = user32.RegisterClassExW
//sys	CreateWindowEx(exStyle uint32, className *uint16, windowName *uint16, style uint32, x int32, y int32, width int32, height int32, parent windows.HWND, menu windows.Handle, instance windows.Handle, param unsafe.Pointer) (hwnd windows.HWND, err error) = user32.CreateWindowExW
//sys	DestroyWindow(hwnd windows.HWND) (err error) = user32.DestroyWindow
//sys	DefWindowProc(hwnd windows.HWND, msg uint32, wParam uintptr, lParam uintptr) (lResult uintptr) = user32.DefWindowProcW
//sys	GetMessage(msg *Msg, hwnd windows.HWND, msgFilterMin uint32, msgFilterMax uint32) (ret int32, err error) [failretval==-1] = user32.GetMessageW
//sys	TranslateMessage(msg *Msg) (done bool) = user32.TranslateMessage
//sys	DispatchMessage(msg *Msg) (ret uintptr) = user32.DispatchMessageW
//sys	PostQuitMessage(exitCode int32) = user32.PostQuitMessage
//sys	PostMessage(hwnd windows.HWND, msg uint32, wParam uintptr, lParam uintptr) (err error) = user32.PostMessageW
//sys	SendMessageTimeout(hwnd windows.HWND, msg uint32, wParam uintptr, lParam uintptr, flags uint32, timeout uint32, result *uintptr) (ret uintptr, err error) = user32.SendMessageTimeoutW
//sys	sendMessageTimeoutPtr(hwnd windows.HWND, msg uint32, wParam uintptr, lParam unsafe.Pointer, flags uint32, timeout uint32, result *uintptr) (ret uintptr, err error) = user32.SendMessageTimeoutW
//sys	FindWindowEx(parent windows.HWND, childAfter windows.HWND, className *uint16, windowName *uint16) (hwnd windows.HWND, err error) = user32.FindWindowExW
//sys	GetWindow(hwnd windows.HWND, cmd uint32) (owner windows.HWND) = user32.GetWindow
//sys	GetWindowText(hwnd windows.HWND, text *uint16, maxCount int32) (n int32, err error) = user32.GetWindowTextW
//sys	SetProp(hwnd windows.HWND, name *uint16, data uintptr) (err error) = user32.SetPropW
//sys	GetProp(hwnd windows.HWND, name *uint16) (data uintptr) = user32.GetPropW
//sys	RemoveProp(hwnd windows.HWND, name *uint16) (data uintptr) = user32.RemovePropW

// kernel32 and advapi32: code pages and named pipes.
//sys	WideCharToMultiByte(codePage uint32, flags uint32, wchar *uint16, nwchar int32, str *byte, nstr int32, defaultChar *byte, usedDefaultChar *int32) (nwrite int32, err error) = kernel32.WideCharToMultiByte
//sys	WaitNamedPipe(name *uint16, timeout uint32) (err error) = kernel32.WaitNamedPipeW
//sys	ImpersonateNamedPipeClient(pipe windows.Handle) (err error) = advapi32.ImpersonateNamedPipeClient

// SendMessageTimeoutPtr is SendMessageTimeout with an lParam that points
// into Go memory (a COPYDATASTRUCT), kept alive for the call.
func SendMessageTimeoutPtr(hwnd windows.HWND, msg uint32, wParam uintptr, lParam unsafe.Pointer, flags uint32, timeout uint32, result *uintptr) (uintptr, error) {
	return sendMessageTimeoutPtr(hwnd, msg, wParam, lParam, flags, timeout, result)
}

// WndClassEx is WNDCLASSEXW.
type WndClassEx struct {
	Size       uint32
	Style      uint32
	WndProc    uintptr
	ClsExtra   int32
	WndExtra   int32
	Instance   windows.Handle
	Icon       windows.Handle
	Cursor     windows.Handle
	Background windows.Handle
	MenuName   *uint16
	ClassName  *uint16
	IconSm     windows.Handle
}

// Msg is MSG.
type Msg struct {
	Hwnd    windows.HWND
	Message uint32
	WParam  uintptr
	LParam  uintptr
	Time    uint32
	Pt      struct{ X, Y int32 }
	Private uint32
}

// CopyDataStruct is COPYDATASTRUCT, WM_COPYDATA's lParam.
type CopyDataStruct struct {
	Data uintptr // dwData: a number the sender chooses
	Len  uint32  // cbData: bytes at Ptr
	Ptr  unsafe.Pointer
}

// Window messages and flags.
const (
	WM_DESTROY   = 0x0002
	WM_CLOSE     = 0x0010
	WM_COPYDATA  = 0x004A
	WM_USER      = 0x0400
	WM_APP       = 0x8000
	MaxMessageID = 0xFFFF // registered messages end here

	SMTO_NORMAL         = 0x0000
	SMTO_BLOCK          = 0x0001
	SMTO_ABORTIFHUNG    = 0x0002
	SMTO_ERRORONEXIT    = 0x0020
	GW_OWNER            = 4
	WS_OVERLAPPED       = 0x00000000
	WS_EX_TOOLWINDOW    = 0x00000080
	WS_EX_NOACTIVATE    = 0x08000000
	CW_USEDEFAULT       = ^int32(0x7FFFFFFF) // 0x80000000
	CP_ACP              = 0
	NMPWAIT_USE_DEFAULT = 0
)
