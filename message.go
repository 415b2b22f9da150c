package postbox

import "github.com/postbox-ipc/postbox/internal/transport"

// Message numbers shared with Windows, so IDs interoperate with Win32 and
// .NET programs: WM_COPYDATA, WM_USER and WM_APP.
const (
	CopyData = transport.CopyData // 0x004A: data transfer, like WM_COPYDATA
	User     = transport.User     // 0x0400: first private message, like WM_USER
	App      = transport.App      // 0x8000: first application message, like WM_APP
)

// Message is one unit of communication: a message number, two integer
// parameters and optional data, like a Windows message (UINT msg, WPARAM,
// LPARAM) with WM_COPYDATA's bytes.
//
// A handler owns Data only until it returns; copy what must outlive it.
type Message = transport.Message

// Reply is a handler's answer to a sent message: the window procedure's
// LRESULT, plus optional data.
type Reply = transport.Reply

// Peer identifies who sent a message: process, user and transport. Numeric
// fields a transport cannot know are -1.
type Peer = transport.Peer
