#!/usr/bin/env bash
# Flake hunt: run the whole suite N times on a fresh clone with two CPU-burning processes beside
# it, then print how often each test failed.
#   scripts/dev/soak-tests.sh N [vitest args...]      e.g. scripts/dev/soak-tests.sh 3
#   scripts/dev/soak-tests.sh 2 --project unit test/scripts
# The clone is of this checkout's HEAD (commit first), in $SOAK_DIR (default: a new temporary
# folder, kept for its logs). Its test brokers are its own: state under the clone
# (BEAMLINE_STATE_DIR) and ports at offset $SOAK_OFFSET (default 300: `test` 300, `test-auth` 310,
# the files with their own broker at 330-370 and the chaos subset at 760), so brokers on the default
# offsets (100-170, 560) or other checkouts are never touched. The geo test's three brokers sit at
# fixed offsets (400/410/420, scripts/geo): do not run it in two checkouts at once. The first run bootstraps the clone (npm test does: Node 24,
# npm ci). Exit status 0 only when every run passed.
set -euo pipefail

# A soak runs for hours, and bash reads a script as it goes: edit this file in the checkout
# meanwhile and the running soak reads the rest at the wrong offsets (seen: the summary step failed
# with a syntax error after three green runs). So it runs from a private copy.
if [ -z "${SOAK_REPO:-}" ]; then
  SOAK_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  export SOAK_REPO
  self="$(mktemp /tmp/beamline-soak-script.XXXXXX)"
  cp "${BASH_SOURCE[0]}" "$self"
  exec bash "$self" "$@"
fi

runs="${1:-}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/dev/soak-tests.sh N [vitest args...]   (N: how many runs, 1 or more)" >&2
  exit 2
fi
shift
repo="$SOAK_REPO"
dir="${SOAK_DIR:-$(mktemp -d /tmp/beamline-soak.XXXXXX)}"
offset="${SOAK_OFFSET:-300}"
clone="$dir/clone"
results="$dir/results"

if [ -e "$clone" ]; then
  echo "soak: $clone exists; point SOAK_DIR at a new folder" >&2
  exit 2
fi
mkdir -p "$results"
git clone --quiet "$repo" "$clone"
echo "soak: $runs run(s) of $(git -C "$clone" log --oneline -1) in $clone, broker offset $offset" >&2

burners=()
stop_burners() {
  for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap stop_burners EXIT
for _ in 1 2; do
  sh -c 'while :; do :; done' &
  burners+=("$!")
done

# The clone's global setup starts (and at the end stops) its own brokers: drop the variables
# that would point it at brokers someone else runs.
unset PULSAR_SERVICE_URL PULSAR_ADMIN_URL PULSAR_CLUSTER PULSAR_TOKEN \
  PULSAR_AUTH_SERVICE_URL PULSAR_AUTH_ADMIN_URL PULSAR_AUTH_TOKEN PULSAR_AUTH_SECRET_KEY_FILE PULSAR_AUTH_CLUSTER \
  PULSAR_AUTH_TLS_SERVICE_URL PULSAR_AUTH_TLS_ADMIN_URL PULSAR_AUTH_TLS_TRUST_CERTS
export BEAMLINE_TEST_BROKER_OFFSET="$offset"
export BEAMLINE_STATE_DIR="$clone/.beamline"

status=0
for i in $(seq 1 "$runs"); do
  started=$(date +%s)
  set +e
  (cd "$clone" && npm test -- --reporter=dot --reporter=json --outputFile.json="$results/run-$i.json" "$@") >"$results/run-$i.log" 2>&1
  rc=$?
  set -e
  [ "$rc" -eq 0 ] || status=1
  echo "soak: run $i/$runs exit $rc in $(($(date +%s) - started)) s (log: $results/run-$i.log)" >&2
done

# One row per test that failed at least once (a file that failed outside its tests counts as
# "(file)"), then one line per run.
node - "$results" "$runs" <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const [dir, runsArg] = process.argv.slice(2);
const runs = Number(runsArg);
const fails = new Map();
const lines = [];
for (let i = 1; i <= runs; i++) {
  const file = path.join(dir, `run-${i}.json`);
  if (!fs.existsSync(file)) {
    lines.push(`run ${i}: no report (the run did not start; see run-${i}.log)`);
    fails.set('(no report)', (fails.get('(no report)') ?? 0) + 1);
    continue;
  }
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  lines.push(`run ${i}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
  for (const f of r.testResults) {
    const rel = path.relative(path.join(dir, '..', 'clone'), f.name);
    const failed = f.assertionResults.filter((a) => a.status === 'failed');
    for (const a of failed) {
      const key = `${rel} > ${a.fullName}`;
      fails.set(key, (fails.get(key) ?? 0) + 1);
    }
    if (f.status === 'failed' && failed.length === 0) fails.set(`${rel} (file)`, (fails.get(`${rel} (file)`) ?? 0) + 1);
  }
}
console.log(lines.join('\n'));
if (fails.size === 0) {
  console.log(`no test failed in ${runs} run(s)`);
} else {
  console.log('\nfailures | test');
  for (const [k, n] of [...fails].sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(3)}/${runs}  | ${k}`);
}
EOF
exit "$status"
