// Package stats counts what an endpoint does — messages received and
// handled, bytes, errors by kind, handling time — and holds the plain
// snapshot types (Endpoint, Conn, Counts, Histogram) that Endpoint.Stats
// returns, with their Prometheus text encoding.
//
// Local holds one connection's counters as plain fields for a writer that
// already holds a lock (the endpoint loop's), so counting costs ordinary
// additions on the hot path; Counters are the atomic kind, for events
// counted from anywhere. Snapshots are consistent per counter, not across
// counters.
package stats
