#!/bin/sh
# go test -exec wrapper: runs a cross-compiled Windows test binary under Wine.
exec wine "$@"
