#!/usr/bin/env bash
# Fuzz every target in the module for a while. The seed corpora (testdata/fuzz)
# already run in every `go test`; this explores beyond them.
#
#   scripts/fuzz.sh            60 s per target (CI)
#   scripts/fuzz.sh 30m        nightly
#
# FUZZ_JOBS targets run at once (default: one per CPU, each fuzzing with one
# worker), so the wall time is about targets × duration ÷ CPUs: 8 targets at
# 60 s on 2 CPUs take 4 minutes. A new failing input is written by the Go
# fuzzer to PKG/testdata/fuzz/FuzzName/; the script then fails and lists it:
# commit it with the fix, so the seed corpus keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-${POSTBOX_FUZZTIME:-60s}}
cpus=$(nproc 2>/dev/null || echo 2)
jobs=${FUZZ_JOBS:-$cpus}
par=$(( cpus / jobs > 0 ? cpus / jobs : 1 ))
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# Every "func FuzzX(" in a test file, as "DIR FuzzX".
targets=$(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . |
	sed -E 's#^(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)$#\1 \2#' | sort -u)
count=$(echo "$targets" | wc -l)
echo "fuzzing $count targets for $fuzztime each, $jobs at a time (-parallel $par)"

run() {
	dir=$1 name=$2 log="$logs/$(echo "$1" | tr / _)_$2.log"
	if go test -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" -fuzzminimizetime 10s \
		-parallel "$par" "$dir" >"$log" 2>&1; then
		status=ok
	else
		status=FAIL
	fi
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	printf '%-4s %-28s %-20s %s execs\n' "$status" "$dir" "$name" "${execs:-?}"
	[ "$status" = ok ] || { sed 's/^/    /' "$log" | tail -20; return 1; }
}
export -f run
export fuzztime par logs

failed=0
echo "$targets" | xargs -P "$jobs" -L 1 bash -c 'run "$0" "$1"' || failed=1

new=$(git status --porcelain --untracked-files=all -- '*/testdata/fuzz/*' | awk '{print $2}')
if [ -n "$new" ]; then
	echo "new failing inputs (commit them with the fix):"
	echo "$new" | sed 's/^/    /'
	failed=1
fi
exit $failed
