#!/usr/bin/env bash
# The test command: everything that runs on Linux, with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -race -count=1 -timeout 15m ./...
