package winmsg

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/internal/winapi"
)

// sendFlags: give up on a hung receiver, and when its thread exits.
const sendFlags = winapi.SMTO_ABORTIFHUNG | winapi.SMTO_ERRORONEXIT

// wire is a message in the form it takes on Windows.
type wire struct {
	id   uint32
	w, l int64
	data []byte // WM_COPYDATA's bytes, already encoded
}

// copyData reports whether the message travels as WM_COPYDATA.
func (m *wire) copyData() bool { return m.id == transport.CopyData }

// sendMessage delivers m with SendMessageTimeout, waiting at most timeout
// (a negative timeout waits as long as Windows allows), and returns the
// window procedure's LRESULT.
//
// The result and the COPYDATASTRUCT live on the heap: while it waits, the
// calling thread runs the window procedure of any window it owns, whose Go
// code may move this goroutine's stack.
func sendMessage(hwnd windows.HWND, m *wire, timeout time.Duration) (int64, error) {
	ms := millis(timeout)
	res := winapi.Heap[uintptr]()
	var err error
	if m.copyData() {
		cds := winapi.Heap[winapi.CopyDataStruct]()
		cds.Data, cds.Len = uintptr(m.l), uint32(len(m.data))
		var pin runtime.Pinner
		if len(m.data) > 0 {
			pin.Pin(&m.data[0])
			cds.Ptr = unsafe.Pointer(&m.data[0])
		}
		_, err = winapi.SendMessageTimeoutPtr(hwnd, winapi.WM_COPYDATA, uintptr(m.w), unsafe.Pointer(cds), sendFlags, ms, res)
		pin.Unpin()
	} else {
		_, err = winapi.SendMessageTimeout(hwnd, m.id, uintptr(m.w), uintptr(m.l), sendFlags, ms, res)
	}
	if err != nil {
		return 0, sendErr(hwnd, err)
	}
	return int64(*res), nil
}

// millis converts a timeout for SendMessageTimeout, rounding up.
func millis(d time.Duration) uint32 {
	if d < 0 || d >= time.Duration(math.MaxUint32)*time.Millisecond {
		return math.MaxUint32
	}
	return uint32((d + time.Millisecond - 1) / time.Millisecond)
}

// timeoutFor is what is left of ctx's time, or -1 without a deadline.
func timeoutFor(ctx context.Context) (time.Duration, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		return -1, ctx.Err()
	}
	left := time.Until(dl)
	if left <= 0 {
		return 0, transport.ErrTimeout
	}
	return left, ctx.Err()
}

// sendErr classifies a failed SendMessageTimeout.
func sendErr(hwnd windows.HWND, err error) error {
	switch {
	case errors.Is(err, windows.ERROR_TIMEOUT):
		return fmt.Errorf("%w: the window did not answer in time", transport.ErrTimeout)
	case errors.Is(err, windows.ERROR_INVALID_WINDOW_HANDLE), !windows.IsWindow(hwnd):
		return fmt.Errorf("%w: the window is gone", transport.ErrPeerGone)
	case errors.Is(err, windows.ERROR_ACCESS_DENIED):
		return fmt.Errorf("%w: the window refuses messages from this process (UIPI): %v", transport.ErrDenied, err)
	case errors.Is(err, syscall.EINVAL):
		// No error code: SMTO_ABORTIFHUNG gave up on a hung thread.
		return fmt.Errorf("%w: the window's thread is not responding", transport.ErrTimeout)
	}
	return fmt.Errorf("%w: SendMessageTimeout: %v", transport.ErrPeerGone, err)
}

// postMessage is PostMessage; a full queue is ErrQueueFull.
func postMessage(hwnd windows.HWND, m *wire) error {
	err := winapi.PostMessage(hwnd, m.id, uintptr(m.w), uintptr(m.l))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, windows.ERROR_NOT_ENOUGH_QUOTA):
		return fmt.Errorf("%w: the window's message queue is full", transport.ErrQueueFull)
	case errors.Is(err, windows.ERROR_INVALID_WINDOW_HANDLE), !windows.IsWindow(hwnd):
		return fmt.Errorf("%w: the window is gone", transport.ErrPeerGone)
	case errors.Is(err, windows.ERROR_ACCESS_DENIED):
		return fmt.Errorf("%w: the window refuses messages from this process (UIPI): %v", transport.ErrDenied, err)
	}
	return fmt.Errorf("PostMessage: %w", err)
}

// postWait is PostMessage that retries while the window's queue is full,
// until ctx ends.
func postWait(ctx context.Context, hwnd windows.HWND, m *wire) error {
	delay := time.Millisecond
	for {
		err := postMessage(hwnd, m)
		if !errors.Is(err, transport.ErrQueueFull) {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w: %w", err, transport.CtxErr(ctx))
		case <-t.C:
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}
