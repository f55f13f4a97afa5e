#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine with Node 20, then runs it.
# Real Prometheus and promtool come from Debian's `prometheus` package; everything else from npm.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus chromium >/dev/null
prometheus --version 2>&1 | head -1
promtool --version 2>&1 | head -1

npm ci --no-fund --no-audit

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
npm test 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# tap's summary is `# { total: N, pass: P, fail: F }`; say it in the plain form too.
node -e '
  const m = /# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?/.exec(require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(l => l.startsWith("# { total")).pop() ?? "");
  if (m) console.log(`${m[2]} passed, ${m[3] ?? 0} failed`);
' "$log"
# CI keeps only the tail of this output, so repeat what failed (and why) where it will be seen.
if grep -qE '^ *not ok ' "$log"; then
  echo "--- what failed (a test, then the subtests and the file holding it) ---"
  node --import tsx scripts/failed-tests.ts "$log"
fi
exit "$status"
