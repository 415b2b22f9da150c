#!/usr/bin/env bash
# The shm transport's benchmarks beside their raw baselines, in one
# `go test -bench` run, and the ratios the shm issue sets as targets.
#
#   scripts/bench-shm.sh              # both processes free to use every CPU
#   ONECPU=1 scripts/bench-shm.sh     # both processes confined to CPU 0
#   BENCHTIME=2s COUNT=1 scripts/bench-shm.sh
#
# Round-trip ratios use the medians of 64-operation batches (p50-ns/op),
# which stalls caused by other processes on a busy machine hardly move;
# stream ratios use throughput end to end (MB/s, until the receiver has
# taken everything). With COUNT > 1 each figure is the best of the runs.
set -euo pipefail
cd "$(dirname "$0")/.."
pin=()
if [ -n "${ONECPU:-}" ]; then pin=(taskset -c 0); fi
go test -c -o /tmp/shm-bench.test ./transport/shm/
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
out=$(cd transport/shm && "${pin[@]}" /tmp/shm-bench.test -test.run '^$' -test.bench "${BENCH:-.}" \
	-test.benchtime "${BENCHTIME:-1s}" -test.count "${COUNT:-1}")
echo "$out"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "$out" | awk '
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
	for (i = 3; i < NF; i++) {  # with COUNT > 1: the best median of the runs
		if ($(i+1) == "p50-ns/op" && (ns[name] == "" || $i + 0 < ns[name] + 0)) ns[name] = $i
		if ($(i+1) == "MB/s" && (mbs[name] == "" || $i + 0 > mbs[name] + 0)) mbs[name] = $i
	}
}
function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "" : sprintf("%.2f", a / b) }
function row(what, r, goal, cmp) {
	met = r == "" ? "not measured" : (cmp == "<=" ? (r + 0 <= goal ? "met" : "missed") : (r + 0 >= goal ? "met" : "missed"))
	printf "| %s | %s× | %s %s× | %s |\n", what, r, cmp, goal, met
}
END {
	print "| ratio | measured | target | |"
	print "|---|---|---|---|"
	row("Send 64 B, peer active / bare spin ping-pong", ratio(ns["RoundTrip64/shm-active"], ns["RoundTrip64/bare-spin"]), 1.5, "<=")
	row("raw Unix ping-pong / Send 64 B, peer active", ratio(ns["RoundTrip64/raw-unix"], ns["RoundTrip64/shm-active"]), 15, ">=")
	row("Send 64 B, peer asleep / bare futex ping-pong", ratio(ns["RoundTrip64/shm-asleep"], ns["RoundTrip64/bare-futex"]), 1.15, "<=")
	row("Send 64 B after 1 ms idle / bare futex after 1 ms idle", ratio(ns["RoundTrip64/shm-idle"], ns["RoundTrip64/bare-futex-idle"]), 1.15, "<=")
	row("stream 4 KiB / raw Unix stream", ratio(mbs["Stream/shm/4KiB"], mbs["Stream/raw-unix/4KiB"]), 8, ">=")
	row("stream 64 KiB / raw Unix stream", ratio(mbs["Stream/shm/64KiB"], mbs["Stream/raw-unix/64KiB"]), 2, ">=")
	row("stream 1 MiB / raw Unix stream", ratio(mbs["Stream/shm/1MiB"], mbs["Stream/raw-unix/1MiB"]), 1.5, ">=")
	row("stream 1 MiB / single-thread copy", ratio(mbs["Stream/shm/1MiB"], mbs["Stream/copy/1MiB"]), 0.6, ">=")
	printf "\nFor scale: Postbox over unix / raw Unix ping-pong %s×; raw Unix / Postbox over shm %s×; Postbox unix / shm %s×.\n",
		ratio(ns["RoundTrip64/postbox-unix"], ns["RoundTrip64/raw-unix"]),
		ratio(ns["RoundTrip64/raw-unix"], ns["RoundTrip64/shm-active"]),
		ratio(ns["RoundTrip64/postbox-unix"], ns["RoundTrip64/shm-active"])
}'
