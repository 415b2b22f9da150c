package postbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"slices"
	"time"

	"github.com/postbox-ipc/postbox/internal/dispatch"
	"github.com/postbox-ipc/postbox/internal/stats"
	"github.com/postbox-ipc/postbox/internal/transport"
	"github.com/postbox-ipc/postbox/transport/inproc"
)

// Reserved message IDs. IDs from FirstReserved up belong to Postbox: an
// endpoint answers them itself, ahead of its queue, and they never reach its
// Handler (Windows has no messages above 0xFFFF, so no Windows message
// number is taken). Only the endpoint's own user, root, and the users in
// ListenConfig.WatchUIDs may send them.
const (
	FirstReserved uint32 = 0xFFFFFF00
	// StatsID answers with the endpoint's Stats as JSON.
	StatsID = FirstReserved + 1
	// MetricsID answers with the endpoint's metrics in the Prometheus
	// text format (WritePrometheus).
	MetricsID = FirstReserved + 2
	// SpyID polls the endpoint's spy feed; see Spy.
	SpyID = FirstReserved + 3
)

// Stats returns a snapshot of the endpoint's counters. Counting costs the
// endpoint a few atomic additions per message; Stats itself takes a lock
// briefly.
func (e *Endpoint) Stats() Stats {
	in := stats.Endpoint{Name: e.name, PID: os.Getpid(), Started: e.started, Time: time.Now()}
	e.loop.Snapshot(&in)
	in.Spies = e.feed.Spies()
	return statsFrom(&in)
}

// WritePrometheus writes the endpoint's current Stats in the Prometheus
// text exposition format, for an HTTP handler or a textfile collector:
//
//	http.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) { ep.WritePrometheus(w) })
func (e *Endpoint) WritePrometheus(w io.Writer) error {
	st := e.Stats()
	return st.WritePrometheus(w)
}

// control answers the reserved messages.
func (e *Endpoint) control(src *dispatch.Source, m *transport.Message) (transport.Reply, error) {
	if err := e.mayWatch(Peer(m.From)); err != nil {
		return transport.Reply{}, err
	}
	switch m.ID {
	case StatsID:
		b, err := json.Marshal(e.Stats())
		return transport.Reply{Data: b}, err
	case MetricsID:
		var buf bytes.Buffer
		err := e.WritePrometheus(&buf)
		return transport.Reply{Data: buf.Bytes()}, err
	case SpyID:
		return e.feed.Poll(src, m)
	}
	return transport.Reply{}, &transport.RemoteError{Code: transport.CodeHandler, Message: "unknown reserved message"}
}

// Windows accounts that may watch any endpoint, as root may on Unix.
const (
	localSystem    = "S-1-5-18"
	administrators = "S-1-5-32-544" // enabled only in an elevated token
)

// mayWatch applies the watch policy: the same process, the endpoint's
// user, root (LocalSystem or an elevated administrator on Windows), a
// listed user, or a listed authenticated identity.
func (e *Endpoint) mayWatch(p Peer) error {
	switch {
	case p.Transport == inproc.Scheme:
		return nil
	case e.noWatch:
		return &transport.RemoteError{Code: transport.CodeDenied, Message: "watching is disabled on this endpoint"}
	case p.UID >= 0 && (p.UID == os.Geteuid() || p.UID == 0 || slices.Contains(e.watchUIDs, p.UID)):
		return nil
	case p.Identity != "" && slices.Contains(e.watchIDs, p.Identity):
		return nil
	case p.SID != "" && (sameUserSID(p) || p.SID == localSystem || slices.Contains(p.GroupSIDs, administrators)):
		return nil
	}
	return &transport.RemoteError{Code: transport.CodeDenied, Message: "only the endpoint's user may watch it"}
}

// Stats asks the endpoint for its statistics (a StatsID message).
func (c *Conn) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	rep, err := c.Send(ctx, Message{ID: StatsID})
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(rep.Data, &st); err != nil {
		return st, opErr("stats", c.addr, err)
	}
	return st, nil
}
