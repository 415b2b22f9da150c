package postbox

import (
	"context"
	"time"

	"github.com/postbox-ipc/postbox/internal/watch"
)

// SpyRecord is one message an endpoint handled, as its spy feed reports
// it: when, from whom, the message's fields and first bytes, the reply and
// how long the handler took.
type SpyRecord struct {
	Time      time.Time     `json:"time"`      // when the handler started
	Took      time.Duration `json:"took"`      // how long it ran
	PID       int           `json:"pid"`       // the sender's process, -1 if unknown
	UID       int           `json:"uid"`       // the sender's user, -1 if unknown
	Transport string        `json:"transport"` // how it came
	Send      bool          `json:"send"`      // a Send (waits for the reply), or a Post
	ID        uint32        `json:"id"`
	W         int64         `json:"w"`
	L         int64         `json:"l"`
	Size      int           `json:"size"`       // payload bytes
	Head      []byte        `json:"head"`       // the payload's first bytes, at most SpyHeadSize
	Result    int64         `json:"result"`     // the reply's Result
	ReplySize int           `json:"reply_size"` // the reply's payload bytes
	// Err is the error's kind ("handler", "panic", "timeout", …; see
	// Counts.Errors), empty when the handler succeeded.
	Err string `json:"err,omitempty"`
}

// SpyFilter selects the records a Spy receives; empty fields match
// everything. The endpoint applies it, so filtered records never cross the
// connection.
type SpyFilter struct {
	IDs    []uint32 `json:"ids,omitempty"`    // message IDs
	PIDs   []int    `json:"pids,omitempty"`   // sender process IDs
	UIDs   []int    `json:"uids,omitempty"`   // sender user IDs
	Errors bool     `json:"errors,omitempty"` // only messages whose handler failed
}

// SpyHeadSize is how many bytes of each message a SpyRecord keeps.
const SpyHeadSize = 64

// Spy watches the messages an endpoint handles, like Spy++ watches a
// window: each call to Next returns those handled since the previous one.
// The endpoint buffers up to 2,048 records per spy; when a spy falls behind
// further records are dropped and counted — the endpoint never waits for a
// spy, and pays one atomic load per message while nobody watches.
//
// A Spy is not safe for concurrent use; use one per goroutine.
type Spy struct {
	c      *Conn
	filter []byte
}

// Spy subscribes to the endpoint's spy feed, with records selected by f.
// The subscription starts with the first call to Next and lasts as long as
// the connection.
func (c *Conn) Spy(f SpyFilter) *Spy { return &Spy{c: c, filter: watch.Filter(f).Encode()} }

// Next waits up to a second for records and returns them, with the number
// dropped since the previous call because the spy fell behind. An empty
// result is not an error.
func (s *Spy) Next(ctx context.Context) ([]SpyRecord, uint64, error) {
	rep, err := s.c.Send(ctx, Message{ID: SpyID, W: watch.Wait(time.Second), Data: s.filter})
	if err != nil {
		return nil, 0, err
	}
	recs, dropped, err := watch.DecodeBatch(rep.Data)
	if err != nil {
		return nil, 0, opErr("spy", s.c.addr, err)
	}
	out := make([]SpyRecord, len(recs))
	for i, r := range recs {
		out[i] = SpyRecord(r)
	}
	return out, dropped, nil
}
