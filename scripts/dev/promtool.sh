#!/usr/bin/env bash
# promtool, pinned and built from its Go module (github.com/prometheus/prometheus) into the cache,
# never the repo. Idempotent: built only when missing. Needs Go >= 1.26.
# Prints PROMTOOL=<path> (eval "$(scripts/dev/promtool.sh)"); build logs go to stderr.
set -euo pipefail
tools="${BEAMLINE_CACHE:-$HOME/.cache/beamline}/tools"
PROMETHEUS_VERSION=v0.316.0 # the Go module's version of Prometheus 3.x
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
command -v go >/dev/null || { echo "promtool: Go >= 1.26 is required (apt-get install golang, or /usr/local/go/bin on PATH)" >&2; exit 1; }
dir="$tools/promtool-$PROMETHEUS_VERSION"
if [ ! -x "$dir/bin/promtool" ]; then
  mkdir -p "$dir"
  echo "promtool: building from github.com/prometheus/prometheus@$PROMETHEUS_VERSION (several minutes on 2 cores)" >&2
  # A private GOBIN then a rename, so an interrupted build never leaves a half-written binary behind.
  rm -rf "$dir/bin.partial"
  GOBIN="$dir/bin.partial" go install "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION" >&2
  rm -rf "$dir/bin" && mv "$dir/bin.partial" "$dir/bin"
fi
echo "PROMTOOL=$dir/bin/promtool"
