#!/usr/bin/env bash
# The test command: everything that runs on Linux, with the race detector —
# the library and the postbox command (cmd/postbox, a module of its own in
# the go.work, with its tests against a real NATS server and the nats CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
go test -race -count=1 -timeout 15m ./... ./cmd/postbox/...
