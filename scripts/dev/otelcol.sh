#!/usr/bin/env bash
# A minimal OpenTelemetry Collector (scripts/otelcol: OTLP receiver, file and debug exporters),
# built from its Go modules (go.opentelemetry.io/collector v0.165.0 with the v1.71.0 stable
# modules; contrib's file exporter v0.165.0, all pinned in scripts/otelcol/go.sum) into the cache,
# never the repo. Idempotent: rebuilt only when missing or when its sources change. Needs Go >= 1.26.
# Prints OTELCOL=<path> (eval "$(scripts/dev/otelcol.sh)"); build logs go to stderr.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="${BEAMLINE_CACHE:-$HOME/.cache/beamline}/tools"
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
command -v go >/dev/null || { echo "otelcol: Go >= 1.26 is required (apt-get install golang, or /usr/local/go/bin on PATH)" >&2; exit 1; }
src="$repo/scripts/otelcol"
stamp=$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-16)
dir="$tools/otelcol-v0.165.0-$stamp"
mkdir -p "$tools"
# One build at a time (CI's prebuild and a test's own call may meet): later callers wait for it.
exec 9>"$tools/.otelcol.lock"
flock 9
if [ ! -x "$dir/otelcol" ]; then
  echo "otelcol: building the collector from go.opentelemetry.io/collector v0.165.0 (10+ minutes on 2 cores)" >&2
  mkdir -p "$dir"
  # A private name then a rename, so an interrupted build never leaves a half-written binary behind.
  (cd "$src" && go build -trimpath -o "$dir/otelcol.partial" .) >&2
  mv "$dir/otelcol.partial" "$dir/otelcol"
fi
echo "OTELCOL=$dir/otelcol"
