#!/usr/bin/env bash
# Measures two revisions of postbox bench back to back, with the same flags,
# so their figures (and their ratios to the raw baselines) come from one
# sitting on one machine:
#
#   scripts/bench-ab.sh f80bd06 HEAD -transports unix,shm -baselines raw-unix -sizes 64,1M
#
# Each revision is built from its own git worktree; the tables go to
# standard output, one after the other, each under its revision's name.
set -euo pipefail
if [ $# -lt 2 ]; then
	echo "usage: scripts/bench-ab.sh OLD NEW [postbox bench flags...]" >&2
	exit 2
fi
cd "$(dirname "$0")/.."
old=$1 new=$2
shift 2
tmp=$(mktemp -d)
cleanup() {
	for side in old new; do
		[ -d "$tmp/$side" ] && git worktree remove --force "$tmp/$side"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
build() { # side revision
	git worktree add --quiet --detach "$tmp/$1" "$2"
	(cd "$tmp/$1" && go build -o "$tmp/postbox-$1" ./cmd/postbox)
}
build old "$old"
build new "$new"
for side in old new; do
	rev=$([ "$side" = old ] && echo "$old" || echo "$new")
	echo "## $side: $rev ($(git rev-parse --short "$rev"))"
	echo
	"$tmp/postbox-$side" bench "$@"
	echo
done
