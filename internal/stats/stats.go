package stats

import (
	"time"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// Endpoint is a snapshot of an endpoint's activity, as Endpoint.Stats
// returns it and the StatsID message carries it (as JSON).
type Endpoint struct {
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
	ConnsTotal uint64 `json:"conns_total"`
	Conns      []Conn `json:"conns"`
	// Spies is how many spy feeds are attached.
	Spies int `json:"spies"`
	// Draining is set once Shutdown has stopped accepting: the name is
	// free for a successor and new messages are refused.
	Draining bool `json:"draining,omitempty"`
	// Held is the memory the connections hold now (bytes of messages
	// received and not yet answered, answers not yet written, frames
	// still arriving); HeldPeak the most they held; MaxMemory the budget
	// (0: none).
	Held      int64 `json:"held"`
	HeldPeak  int64 `json:"held_peak"`
	MaxMemory int64 `json:"max_memory"`
}

// Conn is a snapshot of one open connection.
type Conn struct {
	ID    uint64         `json:"id"`    // unique in the endpoint, in order of arrival
	Peer  transport.Peer `json:"peer"`  // who is connected
	Since time.Time      `json:"since"` // when it connected
	Counts
	// Queued is how many of its messages wait for the handler now;
	// QueuePeak the most that ever waited.
	Queued    int `json:"queued"`
	QueuePeak int `json:"queue_peak"`
	// Held is the memory the connection holds now, as in Endpoint.
	Held int64 `json:"held"`
}
