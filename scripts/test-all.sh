#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine with Node 20, then runs all of
# it: the static checks beside the fast tier (`npm test`, with coverage, ESLint without its cache),
# the fast tier again on Node 22 (the image's Node), the integration tier (`*.int.test.ts`, against
# the built CLI, on Node 22), and the container image built and run as the Helm chart runs it
# (scripts/test-image.sh). The image step stays last and alone: run beside the other steps it saved
# about a minute of some 23 and slowed each of them (the integration tier by some 70 s).
# From Debian: Prometheus and promtool, the node exporter the relabelling oracle scrapes (only a
# recommendation of `prometheus`, which --no-install-recommends leaves out), the image tools and
# chromium; everything else from npm.
# Ends with `N passed, N failed` over all of it, and exits non-zero if any step failed.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
  prometheus prometheus-node-exporter podman buildah mmdebstrap crun chromium >/dev/null
prometheus --version 2>&1 | head -1
promtool --version 2>&1 | head -1

npm ci --no-fund --no-audit

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
status=0
codes=""
# Runs one step, its output also kept in $logs/<name>.log; a failing step fails the script at the end.
step() {
  local name=$1
  shift
  echo "=== $name: $*"
  local started=$SECONDS
  set +e
  "$@" 2>&1 | tee "$logs/$name.log"
  local code=${PIPESTATUS[0]}
  set -e
  echo "=== $name: exit $code after $((SECONDS - started)) s"
  codes="$codes $name:$code"
  if [ "$code" -ne 0 ]; then status=1; fi
}

# The integration tests start the built CLI (test/helpers/cli.ts), not the source through tsx.
step build npm run build
# The Node 22 tiers and the image step use it.
node22=$(scripts/node22.sh)
# `npm test`: tsc, ESLint, prettier and knip beside the fast tier, then the credentials scan.
step fast bash scripts/test.sh --no-cache
step fast-node22 env PATH="$(dirname "$node22"):$PATH" npm run test:fast
step secrets-node22 node --import tsx scripts/check-no-secrets.ts
# On the image's Node, which is what the Helm chart runs: Node 20 reached its end of life on
# 2026-04-30 and keeps the fast tier. On Node 22 the tier also takes some 25 % less CPU (process
# starts), and its test processes share one compile cache.
step int env PATH="$(dirname "$node22"):$PATH" NODE_COMPILE_CACHE="$logs/compile-cache" npm run test:int
step secrets-int node --import tsx scripts/check-no-secrets.ts
# What promship does differently on Node 20 when it starts a process (the heap-growth cap, what
# the idle agent loads), checked on Node 20 itself.
step int-node20 npx tap --disable-coverage test/daemon/heap-growth.int.test.ts test/daemon/agent-footprint.int.test.ts
step image bash scripts/test-image.sh

# tap's summary is `# { total: N, pass: P, fail: F }`, one per tap run (the integration step has two:
# scripts/test-int.sh runs tap twice); the image step's is `image: P passed, F failed`.
# A step that failed without a failed test in its summary (the type check, the secret scan, a
# crash) counts as one failure, so the line never reads `0 failed` for a red run.
node -e '
  const fs = require("fs");
  let pass = 0, fail = 0;
  for (const [name, code] of process.argv.slice(2).map((s) => s.split(":"))) {
    const text = fs.readFileSync(`${process.argv[1]}/${name}.log`, "utf8");
    const taps = [...text.matchAll(/^# \{ total: \d+, pass: (\d+)(?:, fail: (\d+))?/gm)].map((t) => [t[1], t[2]]);
    const image = /^image: (\d+) passed, (\d+) failed/m.exec(text);
    const runs = taps.length > 0 ? taps : image ? [[image[1], image[2]]] : [];
    const passed = runs.reduce((n, r) => n + Number(r[0]), 0);
    const failed = runs.reduce((n, r) => n + Number(r[1] ?? 0), 0);
    pass += passed;
    fail += failed > 0 || code === "0" ? failed : 1;
  }
  console.log(`${pass} passed, ${fail} failed`);
' "$logs" $codes
# CI keeps only the tail of this output, so repeat what failed (and why) where it will be seen.
for tier in fast int fast-node22 int-node20; do
  if grep -qE '^ *not ok ' "$logs/$tier.log"; then
    echo "--- what failed in $tier (a test, then the subtests and the file holding it) ---"
    node --import tsx scripts/failed-tests.ts "$logs/$tier.log"
  fi
done
if grep -q '^not ok' "$logs/image.log"; then
  echo "--- what failed in the image step ---"
  grep '^not ok' "$logs/image.log"
fi
exit "$status"
