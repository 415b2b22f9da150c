// Package stats counts what an endpoint does — messages received and
// handled, bytes, errors by kind, handling time — with atomic counters that
// cost a few nanoseconds on the hot path, and holds the plain snapshot types
// (Endpoint, Conn, Counts, Histogram) that Endpoint.Stats returns, with their
// Prometheus text encoding.
//
// The counters of one connection are written by the goroutines that deliver
// and handle its messages; snapshots may be taken at any time from any
// goroutine and are consistent per counter, not across counters.
package stats
