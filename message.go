package postbox

import "github.com/postbox-ipc/postbox/internal/bufpool"

// Message numbers shared with Windows, so IDs interoperate with Win32 and
// .NET programs: WM_COPYDATA, WM_USER and WM_APP.
const (
	CopyData uint32 = 0x004A // data transfer, like WM_COPYDATA
	User     uint32 = 0x0400 // first private message, like WM_USER
	App      uint32 = 0x8000 // first application message, like WM_APP
)

// Message is one unit of communication: a message number, two integer
// parameters and optional data, like a Windows message (UINT msg, WPARAM,
// LPARAM) with WM_COPYDATA's bytes.
//
// Buffers follow one rule on every transport: a sender may reuse Data as
// soon as Send, SendAsync, Post or TryPost returns, and the Data a handler
// receives is its own to keep — unless the endpoint set
// ListenConfig.ReuseBuffers or InPlace, which lend it only until the
// handler returns. Dialer.NoCopy hands Data to an in-process handler
// without a copy: then ownership passes. So does a buffer from
// Conn.Borrow: passing it gives it back, and the sender must not touch it
// after.
type Message struct {
	ID   uint32 // message number, e.g. CopyData or User+1
	W    int64  // first parameter (wParam)
	L    int64  // second parameter (lParam, or dwData for CopyData)
	Data []byte // payload
	From Peer   // who sent it; filled in by the receiving side
}

// Reply is a handler's answer to a sent message: the window procedure's
// LRESULT, plus optional data. The Data a caller receives in a Reply is its
// own to keep, or to give back with Release (with Dialer.InPlace, its own
// only until Release). A handler must not change a
// slice it returned in a Reply: the endpoint may still be writing it after
// ServeMessage returns.
type Reply struct {
	Result int64
	Data   []byte

	buf  *[]byte // the recycled buffer Data is in, if any (see Release)
	give func()  // with Dialer.InPlace: gives Data's shared memory back (see Release)
}

// Release gives the buffer that holds r.Data back for a later reply to
// reuse, as with a sync.Pool: after Release, neither r.Data nor any slice
// of it may be used. Releasing is optional: a reply never released is
// garbage-collected as usual, and only costs the allocation Release would
// have saved. A copy of a Reply shares its buffer, so release only one.
// Release sets r.Data to nil; it does nothing on a reply whose Data came
// from elsewhere (a handler's own Reply, a transport that cannot recycle),
// or a second time.
//
// With Dialer.InPlace, the Data of a reply that came through shared memory
// lies where the handler wrote it until Release, which gives it back to
// the endpoint: release such replies, or the memory they hold is lent to no
// one else until the connection ends.
func (r *Reply) Release() {
	bufpool.Put(r.buf)
	if r.give != nil {
		r.give()
	}
	r.buf, r.give, r.Data = nil, nil, nil
}

// Peer identifies who sent a message, or who a Conn is connected to:
// process, user and transport. Fields a transport cannot know are left at
// their unknown value: -1 for numbers, empty for strings and lists.
type Peer struct {
	PID       int      `json:"pid"`                  // process ID, from the kernel where the transport allows
	UID       int      `json:"uid"`                  // user ID (Unix), from the kernel
	GID       int      `json:"gid"`                  // primary group ID (Unix), from the kernel
	Groups    []int    `json:"groups,omitempty"`     // supplementary group IDs (Unix), from the kernel
	SID       string   `json:"sid,omitempty"`        // user security identifier (Windows)
	GroupSIDs []string `json:"group_sids,omitempty"` // groups enabled in the peer's token (Windows)
	Transport string   `json:"transport"`            // the transport scheme: "unix", "inproc", …
	Addr      string   `json:"addr,omitempty"`       // the remote address, when the transport has one
	Identity  string   `json:"identity,omitempty"`   // an authenticated identity (TLS subject, token name)
}
