// Package winmsg is the Postbox transport over real Windows messages, so
// Postbox programs and existing Win32 and .NET programs can talk both ways.
//
// # Receiving: every endpoint has a window
//
// On Windows every Postbox endpoint also owns a hidden top-level window of
// class "PostboxEndpoint" titled with the endpoint's name, run by a message
// loop on its own locked OS thread. A program that knows nothing of Postbox
// finds it with FindWindow and talks to it as to any window:
//
//   - SendMessage(WM_COPYDATA) reaches the handler as Message{ID: CopyData,
//     W: wParam, L: dwData, Data: the bytes}. The bytes are checked against
//     the endpoint's size limit and copied before the window procedure
//     returns; the handler's Reply.Result is the LRESULT the sender gets.
//   - Any other message from WM_USER (0x0400) to 0xFFFF — WM_USER+n, WM_APP+n,
//     registered messages — sent or posted, reaches the handler as
//     Message{ID, W: wParam, L: lParam}. A sent one is answered with the
//     handler's Result; a posted one queues like a Post.
//   - System messages below WM_USER go to DefWindowProc; WM_CLOSE from
//     outside is ignored, so only the endpoint closes its window.
//
// Windows does not say which process sent a window message, so such
// messages carry Peer{PID: -1, Transport: "winmsg"} and are not subject to
// the endpoint's access policy: the desktop is the boundary, as for every
// window. Use the pipe transport where the sender's identity matters.
//
// # Sending: any window
//
// Addresses name a window:
//
//	winmsg:NAME          a Postbox endpoint's window (class PostboxEndpoint, title NAME)
//	winmsg:title=TEXT    the first top-level window titled TEXT (FindWindow)
//	winmsg:class=NAME    the first top-level window of class NAME
//	winmsg:pid=N         process N's main window, as .NET's Process.MainWindowHandle
//	                     picks it (visible, unowned); else its Postbox endpoint window
//	winmsg:hwnd=0x1A2B   that window
//
// each optionally followed by "?enc=bytes", "?enc=ansi" or "?enc=utf16",
// the form WM_COPYDATA data takes: the bytes as given (the default); text in
// the system's ANSI code page with a trailing NUL, cbData = len+1, as the
// seed's C# sender does; or UTF-16LE with a trailing NUL.
//
// Send uses SendMessageTimeout with SMTO_ABORTIFHUNG|SMTO_ERRORONEXIT and the
// context's deadline, and returns the LRESULT as Reply.Result. Data travels
// only in WM_COPYDATA (ID CopyData), the one message Windows copies between
// processes. Post without data is PostMessage; a full queue is ErrQueueFull.
// Post with data — what PostMessage cannot do across processes — enters an
// ordered queue on the sender's side, from which a goroutine delivers each
// message as WM_COPYDATA; a delivery that fails (window gone, timed out) is
// reported by Flush and Close as a *LostError, never dropped unseen.
//
// The transport registers itself on Windows only; elsewhere Listen and Dial
// fail with an error wrapping errors.ErrUnsupported.
package winmsg
