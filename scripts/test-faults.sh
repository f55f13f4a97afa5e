#!/usr/bin/env bash
# The long fault suite behind RELIABILITY.md: the scenarios of test/faults/ at full size, against
# both S3 emulators, the GCS emulator and Azurite, and the SIGKILL crash loop of
# test/daemon/crash.int.test.ts with 100 kills. One test file at a time, so each scenario's time
# to completion is its own. Every scenario appends its figures as one JSON line to
# $FAULT_RESULTS_FILE. (`npm test` runs the short versions.)
#
#   npm run test:faults                      # defaults below, a fresh seed
#   FAULT_SEED=123456 npm run test:faults    # replay the fault decisions of an earlier run
#   FAULT_TRACE_DIR=/tmp/t npm run test:faults  # and one JSON line per proxied request (where time went)
set -euo pipefail
cd "$(dirname "$0")/.."

export FAULT_WINDOWS="${FAULT_WINDOWS:-6}"
export FAULT_RATE="${FAULT_RATE:-0.3}"
export FAULT_SEED="${FAULT_SEED:-$(( $(date +%s) % 1000000 ))}"
export FAULT_S3_SERVERS="${FAULT_S3_SERVERS:-s3rver,fauxqs}"
export FAULT_CUT_ATTEMPTS="${FAULT_CUT_ATTEMPTS:-200}"
export PROMSHIP_CRASH_KILLS="${PROMSHIP_CRASH_KILLS:-100}"
export PROMSHIP_CRASH_SEED="${PROMSHIP_CRASH_SEED:-$FAULT_SEED}"
export FAULT_RESULTS_FILE="${FAULT_RESULTS_FILE:-${TMPDIR:-/tmp}/promship-fault-results-$FAULT_SEED.jsonl}"

echo "windows=$FAULT_WINDOWS rate=$FAULT_RATE seed=$FAULT_SEED s3=$FAULT_S3_SERVERS kills=$PROMSHIP_CRASH_KILLS results=$FAULT_RESULTS_FILE"
status=0
npx tap --jobs=1 --timeout=7200 --reporter=tap test/faults/*.test.ts test/daemon/crash.int.test.ts "$@" || status=$?
echo "figures: $FAULT_RESULTS_FILE"
exit "$status"
