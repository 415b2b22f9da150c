#!/usr/bin/env bash
# The Windows test command: cross-compiles Postbox's tests with GOOS=windows
# and runs them under Wine, with the Win32 interop programs built by mingw.
#
#   scripts/wine-test.sh                 # the Windows tests
#   scripts/wine-test.sh -v -run Seed                # flags apply to the Windows tests
#   scripts/wine-test.sh -run Seed ./transport/winmsg
#   POSTBOX_WINE_RACE=0 scripts/wine-test.sh   # without the race detector
#
# It installs wine, wine64 and gcc-mingw-w64-x86-64-win32 with apt-get when
# they are missing, and keeps a Wine prefix in $POSTBOX_WINEPREFIX (default
# /tmp/postbox-wine-UID) for reruns. See docs/WINDOWS.md for why each step
# is here (Wine 8.0 on Debian 12).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

log() { printf 'wine-test: %s\n' "$*" >&2; }

ensure_packages() {
	if command -v wine >/dev/null && command -v x86_64-w64-mingw32-gcc >/dev/null; then
		return
	fi
	log "installing wine, wine64, gcc-mingw-w64-x86-64-win32"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		wine wine64 gcc-mingw-w64-x86-64-win32 >/dev/null
}

setup_env() {
	export WINEPREFIX="${POSTBOX_WINEPREFIX:-/tmp/postbox-wine-$(id -u)}"
	export WINEARCH=win64 WINEDEBUG=-all
	export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
	unset DISPLAY WAYLAND_DISPLAY
	work="$WINEPREFIX/postbox"
	mkdir -p "$work"
}

# prepare_prefix creates the prefix once and applies the two fixes Go
# programs need: ProcessPrng (Go >= 1.22 dies at start without it) and the
# null graphics driver (top-level windows fail without a display).
prepare_prefix() {
	if [ ! -f "$WINEPREFIX/system.reg" ]; then
		log "creating Wine prefix $WINEPREFIX"
		wineboot --init >/dev/null 2>&1
		wineserver -w
	fi
	local src=scripts/wine/bcryptprimitives.c dll="$work/bcryptprimitives.dll"
	local sys32="$WINEPREFIX/drive_c/windows/system32"
	if [ ! -f "$dll" ] || [ "$src" -nt "$dll" ]; then
		x86_64-w64-mingw32-gcc -O2 -shared -o "$dll" "$src" -ladvapi32
	fi
	cmp -s "$dll" "$sys32/bcryptprimitives.dll" || cp "$dll" "$sys32/bcryptprimitives.dll"
	if ! grep -q '"Graphics"="null"' "$WINEPREFIX/user.reg" 2>/dev/null; then
		wine reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f >/dev/null 2>&1
		wineserver -w
	fi
}

# build_interop compiles the C programs that make the seed's Win32 calls;
# tests find them through POSTBOX_INTEROP_BIN (a Windows path).
build_interop() {
	local out="$work/interop"
	mkdir -p "$out"
	for src in transport/winmsg/testdata/*.c; do
		x86_64-w64-mingw32-gcc -O2 -Wall -o "$out/$(basename "${src%.c}").exe" "$src" -luser32
	done
	export POSTBOX_INTEROP_BIN="Z:${out//\//\\}"
	export POSTBOX_REQUIRE_INTEROP=1
}

# check_generated fails when internal/winapi's generated system calls are
# out of date with their //sys lines.
check_generated() {
	(cd internal/winapi && go run golang.org/x/sys/windows/mkwinsyscall syscall_windows.go) |
		diff -u internal/winapi/zsyscall_windows.go - >/dev/null || {
		log "internal/winapi/zsyscall_windows.go is stale: see internal/winapi/doc.go"
		return 1
	}
}

# start_wine starts wineserver and Wine's background services before the
# tests, so they do not hold go test's output pipe (a 30 s hang otherwise,
# and the package fails with "Test I/O incomplete" although its tests
# passed). That includes the desktop process (explorer.exe), which Wine
# starts when a program first creates a window: the receiver interop
# program creates one, with its output going nowhere.
start_wine() {
	wineserver -p 2>/dev/null || true # already running is fine
	wine cmd /c exit </dev/null >/dev/null 2>&1
	timeout 20 wine "$work/interop/seedreceiver.exe" postbox-warm-up </dev/null >/dev/null 2>&1 &
	local i
	for i in $(seq 100); do
		pgrep -f 'explorer.exe' >/dev/null && break
		sleep 0.1
	done
	kill %1 2>/dev/null || true
	wait 2>/dev/null || true
	trap 'wineserver -k 2>/dev/null || true; remove_server_dir' EXIT
}

# remove_server_dir removes the wineserver's socket directory for this
# prefix. Debian's Wine puts it in /run/user/UID/wine when that exists,
# and otherwise in $TMPDIR/wine-XXXXXX/server-DEV-INO (a directory it
# finds again by that name, and never removes).
remove_server_dir() {
	local id d
	id=$(printf 'server-%s-%x' "$(stat -c %D "$WINEPREFIX")" "$(stat -c %i "$WINEPREFIX")")
	for d in "${TMPDIR:-/tmp}"/wine-*/"$id"; do
		[ -d "$d" ] || continue
		rm -rf "$d"
		rmdir "$(dirname "$d")" 2>/dev/null || true
	done
}

main() {
	check_generated
	ensure_packages
	setup_env
	prepare_prefix
	build_interop
	start_wine
	local args=("$@") a pkgs=0
	for a in "$@"; do
		case $a in ./* | github.com/*) pkgs=1 ;; esac
	done
	if [ $pkgs -eq 0 ]; then # flags only: the Windows packages
		args+=(./transport/pipe/... ./transport/winmsg/... ./cmd/postbox/... ./examples/service/...)
	fi
	local race=()
	if [ "${POSTBOX_WINE_RACE:-1}" != 0 ]; then
		# The race detector needs cgo, so the mingw C compiler.
		export CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc
		race=(-race)
	fi
	log "go test ${race[*]} under Wine: ${args[*]}"
	GOOS=windows GOARCH=amd64 go test "${race[@]}" -count=1 -timeout 5m \
		-exec "$root/scripts/wine/exec.sh" "${args[@]}"
}

main "$@"
