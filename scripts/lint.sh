#!/usr/bin/env bash
# Lint every module with golangci-lint (config: .golangci.yml), for Linux,
# Windows and macOS. Installs the pinned version into .cache/bin when it is
# not there (a minute or two on a fresh machine, from the module proxy).
set -euo pipefail
cd "$(dirname "$0")/.."
version=v2.15.0
bin="$PWD/.cache/bin"
lint="$bin/golangci-lint"
if ! "$lint" version 2>/dev/null | grep -q "${version#v}"; then
  GOBIN="$bin" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$version"
fi
config="$PWD/.golangci.yml"
for os in linux windows darwin; do
  echo "golangci-lint: root module, GOOS=$os"
  GOOS=$os "$lint" run --config "$config" ./...
done
for mod in cmd/postbox transport/nats bench/peers; do
  echo "golangci-lint: $mod, GOOS=linux"
  (cd "$mod" && "$lint" run --config "$config" ./...)
done
for mod in cmd/postbox transport/nats; do
  echo "golangci-lint: $mod, GOOS=windows"
  (cd "$mod" && GOOS=windows "$lint" run --config "$config" ./...)
done
