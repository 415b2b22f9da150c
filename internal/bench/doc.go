// Package bench is the harness behind "postbox bench": it measures Postbox
// transports, raw baselines and peer libraries side by side between two real
// processes, in one run, and reports every figure as a ratio to the raw
// baselines measured in the same run.
//
// A Case is one thing to measure. Its server runs in a child process (a
// re-exec of the same binary that calls ServeChild), or in the measuring
// process for in-process cases; its client runs in the measuring process.
// Run walks every case, payload size and mode (Send round trips with one or
// more callers, Post throughput), records latency histograms, message rates
// and the CPU time of both processes, and returns a Report that can be
// printed as tables, written as JSON and drawn as an SVG chart.
//
// Postbox transports join automatically: every scheme that postbox.Transports
// lists becomes a case. Other modules add cases (peer libraries) with
// Register before calling Run; the child process must register the same ones.
package bench
