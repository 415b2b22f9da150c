#!/usr/bin/env bash
# Checks that a run left nothing behind in the user's real Postbox
# namespace or in the system's temporary directory (tests use a namespace
# under a temporary directory of their own: internal/testns).
#
#   scripts/leftovers.sh snapshot FILE   # before the run
#   scripts/leftovers.sh check FILE      # after it: exits 1 and lists what is new
#
# Not counted: go-build* (the go command's own work directories, which it
# removes), postbox-wine-* (scripts/wine-test.sh's Wine prefix, kept for
# reruns), .wine-UID (the wineserver's socket directory, which Wine keeps
# while a wineserver runs), and the namespace directory itself (an
# endpoint's files in it are counted).
set -euo pipefail
tmp="${TMPDIR:-/tmp}"
if [ -n "${XDG_RUNTIME_DIR:-}" ]; then ns="$XDG_RUNTIME_DIR/postbox"; else ns="$tmp/postbox-$(id -u)"; fi

list() {
	{
		[ -d "$ns" ] && find "$ns" -mindepth 1 -maxdepth 1 -printf "$ns/%f\n"
		find "$tmp" -mindepth 1 -maxdepth 1 -printf "$tmp/%f\n" |
			grep -v -E "^$tmp/(go-build[0-9]+|postbox-wine-[0-9]+|\.wine-[0-9]+)$" | grep -v -x "$ns"
	} 2>/dev/null | sort || true
}

case "${1:-}" in
snapshot) list >"$2" ;;
check)
	added=$(comm -13 "$2" <(list))
	if [ -n "$added" ]; then
		echo "left behind by the run:"
		echo "$added" | sed 's/^/  /'
		exit 1
	fi
	echo "nothing left behind in $ns or $tmp"
	;;
*) echo "usage: $0 snapshot|check FILE" >&2; exit 2 ;;
esac
