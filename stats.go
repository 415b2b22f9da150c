package postbox

import (
	"io"
	"slices"
	"time"

	"github.com/postbox-ipc/postbox/internal/stats"
	"github.com/postbox-ipc/postbox/internal/transport"
)

// Stats is a snapshot of an endpoint's activity: totals since it started,
// queue depth, the handling-time histogram, and the same per open
// connection. Endpoint.Stats returns it; Conn.Stats asks a remote endpoint
// for it (the StatsID message carries it as JSON, in these field names).
type Stats struct {
	Name    string    `json:"name"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	Time    time.Time `json:"time"` // when the snapshot was taken
	// Counts are the totals since the endpoint started, over every
	// connection, open or closed, plus errors no connection owns
	// (handshakes that failed, connections refused).
	Counts
	// Queued is how many accepted messages wait for the handler, over
	// every connection; Running how many handlers run now.
	Queued  int `json:"queued"`
	Running int `json:"running"`
	// ConnsTotal counts every connection accepted since the start;
	// Conns lists the open ones.
	ConnsTotal uint64      `json:"conns_total"`
	Conns      []ConnStats `json:"conns"`
	// Spies is how many spy feeds are attached.
	Spies int `json:"spies"`
	// Draining is set once Shutdown has stopped accepting: the name is
	// free for a successor and new messages are refused.
	Draining bool `json:"draining,omitempty"`
	// Held is the memory the connections hold now: bytes of messages
	// received and not yet answered, answers not yet written, frames
	// still arriving. HeldPeak is the most they held; MaxMemory the
	// budget (ListenConfig.MaxMemory; 0: none). The connections ended to
	// stay within it are counted in Errors["memory"].
	Held      int64 `json:"held"`
	HeldPeak  int64 `json:"held_peak"`
	MaxMemory int64 `json:"max_memory"`
}

// ConnStats is one open connection in Stats.
type ConnStats struct {
	ID    uint64    `json:"id"`    // unique in the endpoint, in order of arrival
	Peer  Peer      `json:"peer"`  // who is connected
	Since time.Time `json:"since"` // when it connected
	Counts
	// Queued is how many of its messages wait for the handler now;
	// QueuePeak the most that ever waited.
	Queued    int `json:"queued"`
	QueuePeak int `json:"queue_peak"`
	// Held is the memory the connection holds now, as in Stats.
	Held int64 `json:"held"`
}

// Counts are the counters of Stats and ConnStats.
type Counts struct {
	// Sends and Posts count the messages accepted into the endpoint's
	// queue: SendMessage-style and PostMessage-style.
	Sends uint64 `json:"sends"`
	Posts uint64 `json:"posts"`
	// Handled counts the messages the handler ran for (returned or
	// panicked).
	Handled uint64 `json:"handled"`
	// BytesIn and BytesOut are payload bytes: messages received and
	// replies sent.
	BytesIn  uint64 `json:"bytes_in"`
	BytesOut uint64 `json:"bytes_out"`
	// Errors counts errors by kind: "handler", "panic", "timeout",
	// "canceled", "too_large", "denied", "closed", "no_endpoint",
	// "queue_full", "protocol", "refused", "dropped", "handshake",
	// "busy", "memory" (ended to stay within the memory budget),
	// "stalled" (a frame stopped arriving). Kinds that never happened are
	// absent.
	Errors map[string]uint64 `json:"errors,omitempty"`
	// Latency is the distribution of handling times: from the handler's
	// start to its return.
	Latency Histogram `json:"latency"`
}

// ErrorCount is the total of Errors.
func (c Counts) ErrorCount() uint64 { return c.internal().ErrorCount() }

// Histogram is a distribution of handling times: Counts[i] messages took
// at most HistogramBounds[i] (and more than the bound before it); the last
// count is for those slower than every bound.
type Histogram struct {
	Counts []uint64      `json:"counts"` // len(HistogramBounds)+1, not cumulative
	Sum    time.Duration `json:"sum"`    // total handling time
}

// HistogramBounds are the upper bounds of a Histogram's buckets, from 1µs
// to 10s in 1-2-5 steps; one more bucket takes anything slower.
var HistogramBounds = slices.Clone(stats.Bounds)

// Count is the number of durations recorded.
func (h Histogram) Count() uint64 { return stats.Histogram(h).Count() }

// Mean is the average duration, or 0 when nothing was recorded.
func (h Histogram) Mean() time.Duration { return stats.Histogram(h).Mean() }

// Quantile estimates the q-quantile (0 < q ≤ 1), interpolating inside the
// bucket it falls in. It returns 0 when nothing was recorded; durations in
// the last, unbounded bucket are reported as the largest bound.
func (h Histogram) Quantile(q float64) time.Duration { return stats.Histogram(h).Quantile(q) }

// Sub returns h minus an earlier snapshot of the same histogram: what was
// recorded in between.
func (h Histogram) Sub(old Histogram) Histogram {
	return Histogram(stats.Histogram(h).Sub(stats.Histogram(old)))
}

// WritePrometheus writes the snapshot in the Prometheus text exposition
// format (version 0.0.4): endpoint totals, gauges, the handling-time
// histogram, and a few series per open connection (labelled conn, pid, uid,
// transport), which come and go with their connections.
func (s *Stats) WritePrometheus(w io.Writer) error {
	in := s.internal()
	return in.WritePrometheus(w)
}

// statsFrom is the engine's snapshot in this package's types.
func statsFrom(in *stats.Endpoint) Stats {
	s := Stats{Name: in.Name, PID: in.PID, Started: in.Started, Time: in.Time, Counts: countsFrom(in.Counts),
		Queued: in.Queued, Running: in.Running, ConnsTotal: in.ConnsTotal, Spies: in.Spies, Draining: in.Draining,
		Held: in.Held, HeldPeak: in.HeldPeak, MaxMemory: in.MaxMemory}
	s.Conns = make([]ConnStats, len(in.Conns))
	for i, c := range in.Conns {
		s.Conns[i] = ConnStats{ID: c.ID, Peer: Peer(c.Peer), Since: c.Since, Counts: countsFrom(c.Counts),
			Queued: c.Queued, QueuePeak: c.QueuePeak, Held: c.Held}
	}
	return s
}

// internal is s in the engine's types, for its encoders.
func (s *Stats) internal() stats.Endpoint {
	in := stats.Endpoint{Name: s.Name, PID: s.PID, Started: s.Started, Time: s.Time, Counts: s.Counts.internal(),
		Queued: s.Queued, Running: s.Running, ConnsTotal: s.ConnsTotal, Spies: s.Spies, Draining: s.Draining,
		Held: s.Held, HeldPeak: s.HeldPeak, MaxMemory: s.MaxMemory}
	in.Conns = make([]stats.Conn, len(s.Conns))
	for i, c := range s.Conns {
		in.Conns[i] = stats.Conn{ID: c.ID, Peer: transport.Peer(c.Peer), Since: c.Since, Counts: c.internal(),
			Queued: c.Queued, QueuePeak: c.QueuePeak, Held: c.Held}
	}
	return in
}

func countsFrom(c stats.Counts) Counts {
	return Counts{Sends: c.Sends, Posts: c.Posts, Handled: c.Handled, BytesIn: c.BytesIn, BytesOut: c.BytesOut,
		Errors: c.Errors, Latency: Histogram(c.Latency)}
}

func (c Counts) internal() stats.Counts {
	return stats.Counts{Sends: c.Sends, Posts: c.Posts, Handled: c.Handled, BytesIn: c.BytesIn, BytesOut: c.BytesOut,
		Errors: c.Errors, Latency: stats.Histogram(c.Latency)}
}
