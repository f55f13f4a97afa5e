#!/usr/bin/env bash
# `npm test`: the static checks of `npm run check` and the fast tier, side by side. Each check is
# one process that mostly waits on a single core (tsc, eslint's type-aware pass, prettier, knip);
# run one after another they left the second core idle for half of `npm test`. The fast tier runs
# in the foreground with its output as usual; each check's output is shown only if it fails.
set -uo pipefail
cd "$(dirname "$0")/.."

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
checks=(tsc eslint prettier knip)
start_check() {
  local name=$1
  shift
  ("$@" >"$logs/$name.log" 2>&1; echo $? >"$logs/$name.rc") &
}
started=$SECONDS
start_check tsc npx tsc --noEmit
start_check eslint npx eslint .
start_check prettier npm run -s format:check
start_check knip npx knip

status=0
# The fast tier's own files include test/error-codes.test.ts (unregistered codes, stale docs/errors.md).
node --import tsx scripts/check-no-secrets.ts --clean
npm run -s test:fast || status=1
node --import tsx scripts/check-no-secrets.ts || status=1
wait

for name in "${checks[@]}"; do
  code=$(cat "$logs/$name.rc")
  if [ "$code" -ne 0 ]; then
    status=1
    echo "=== $name failed (exit $code):"
    cat "$logs/$name.log"
  fi
done
if [ "$status" -eq 0 ]; then
  echo "npm test: checks (${checks[*]}) and the fast tier passed in $((SECONDS - started)) s"
else
  echo "npm test: FAILED after $((SECONDS - started)) s"
fi
exit "$status"
