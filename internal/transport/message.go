// Package transport defines what every Postbox transport shares: the message
// types, the sentinel errors, the small interfaces a transport implements, and
// the registry that maps an address scheme to its transport.
//
// The root package postbox re-exports these types; transports import only this
// package and other internal packages, never the root package.
package transport

import "context"

// Message numbers shared with Windows, so IDs interoperate.
const (
	CopyData uint32 = 0x004A // WM_COPYDATA
	User     uint32 = 0x0400 // WM_USER
	App      uint32 = 0x8000 // WM_APP
)

// Message is one unit of communication: a message number, two integer
// parameters and optional data, like a Windows message with WM_COPYDATA.
type Message struct {
	ID   uint32 // message number, e.g. CopyData or User+1
	W    int64  // first parameter (wParam)
	L    int64  // second parameter (lParam, or dwData for CopyData)
	Data []byte // payload; owned by the handler only until it returns
	From Peer   // who sent it; filled in by the receiving side
}

// Reply is a handler's answer to a sent message, like a window procedure's
// LRESULT plus optional data.
type Reply struct {
	Result int64
	Data   []byte
	Buf    *[]byte // the pooled buffer (internal/bufpool) Data is in, if any: the receiver may recycle it
	Give   func()  // if set, Data lies in memory the transport lent (shared memory): Give returns it, once done
}

// Peer identifies the sender of a message. Fields that a transport cannot know
// are left at their unknown value (-1 for numbers, "" for strings).
type Peer struct {
	PID       int      // process ID, from the kernel where the transport allows
	UID       int      // user ID (Unix), from the kernel; -1 when unknown
	GID       int      // group ID (Unix), from the kernel; -1 when unknown
	Groups    []int    // supplementary group IDs (Unix), from the kernel; nil when unknown
	SID       string   // user security identifier (Windows)
	GroupSIDs []string // the groups enabled in the peer's token (Windows), from the kernel; nil when unknown
	Transport string   // the transport scheme: "unix", "inproc", …
	Addr      string   // the remote address, when the transport has one
	Identity  string   // an authenticated identity (TLS subject, token name)
}

// UnknownPeer returns a Peer with every numeric field unknown.
func UnknownPeer(transport string) Peer {
	return Peer{PID: -1, UID: -1, GID: -1, Transport: transport}
}

// HandlerFunc is how transports call into an endpoint's handler.
type HandlerFunc func(ctx context.Context, m *Message) (Reply, error)
