#!/usr/bin/env bash
# The reliability and security suite with its figures.
#
#   scripts/reliability.sh [quick|full|nightly] [REPORT.md]
#
# quick is what `go test -race ./...` runs; full (the default here, and CI)
# runs the counts of docs/RELIABILITY.md without the race detector; nightly
# runs longer and asserts the strict timing bounds. The figures are written
# as a Markdown table to REPORT.md (default: stdout), ready for
# docs/RELIABILITY.md. POSTBOX_WINE=1 adds the named-pipe transport under
# Wine (scripts/wine-test.sh). The fuzzers run separately: scripts/fuzz.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
level=${1:-full}
out=${2:-}
case $level in
quick) ;;
full) export POSTBOX_RELIABILITY=full ;;
nightly) export POSTBOX_NIGHTLY=1 ;;
*) echo "usage: $0 [quick|full|nightly] [REPORT.md]" >&2; exit 2 ;;
esac
figures=$(mktemp)
trap 'rm -f "$figures"' EXIT
export POSTBOX_REPORT=$figures
export GORACE=${GORACE:-atexit_sleep_ms=0}

status=0
# The suite over every transport, then the security tests that are not
# per-transport (other users, namespace, concurrent starters, handshake
# errors, oversized headers at the reader) and the malformed-input corpus.
# One package at a time (-p 1): the timing figures are the suite's own.
go test -p 1 -count=1 -timeout 60m -run 'TestReliability' ./transport/... || status=1
(cd transport/nats && go test -count=1 -timeout 60m -run 'TestReliability' .) || status=1
go test -count=1 -timeout 10m \
	-run 'TestOtherUser|TestConcurrentStarters|TestSharedDirectory|TestForeignSocket|TestSingleInstance' . || status=1
go test -count=1 -timeout 10m -run 'TestParentWritable|TestUnsafeDir|TestConcurrentClaims' ./internal/namespace || status=1
go test -count=1 -timeout 10m -run 'TestClientHandshakeErrors|TestOversizeHeader' ./internal/session || status=1
go test -count=1 -timeout 10m -run 'TestConformance/MalformedInput' ./transport/... || status=1

# With POSTBOX_WINE=1, the suite over named pipes too, under Wine.
if [ "${POSTBOX_WINE:-0}" = 1 ]; then
	POSTBOX_WINE_RACE=0 POSTBOX_REPORT="Z:$(echo "$figures" | tr / '\\')" \
		./scripts/wine-test.sh -run 'TestReliability' ./transport/pipe || status=1
fi

# Not >/dev/stdout: when stdout is a file, that would truncate it.
if [ -n "$out" ]; then
	go run ./internal/reliability/report "$figures" >"$out"
else
	go run ./internal/reliability/report "$figures"
fi
exit $status
