#!/usr/bin/env bash
# `npm test`: the static checks of `npm run check` and the fast tier, side by side. Each check is
# one process that mostly waits on a single core (tsc, eslint's type-aware pass, prettier, knip);
# run one after another they left the second core idle for half of `npm test`. The fast tier runs
# in the foreground with its output as usual; each check's output is shown only if it fails.
#
# The checks keep caches in node_modules/.cache/promship, so a run after an edit re-checks only what
# changed: tsc's incremental build info and prettier's cache are exact. ESLint's cache is per file,
# so a type-aware finding in a file whose own text did not change (a type it uses changed
# elsewhere) shows only once that file changes or the cache is cleared. `--no-cache` runs ESLint
# without it, as `npm run test:all` (what CI runs) does.
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
cache=node_modules/.cache/promship
mkdir -p "$cache"
# The fast tier's compiled modules are kept by a hash of their source, so every edit adds one:
# entries older than two weeks go (one still in use is only compiled again).
find "$cache/ts" -type f -mtime +14 -delete 2>/dev/null || true
start_check tsc npx tsc --noEmit --incremental --tsBuildInfoFile "$cache/tsc.tsbuildinfo"
eslint_cache=(--cache --cache-strategy content --cache-location "$cache/eslint")
if [ "${1:-}" = --no-cache ]; then eslint_cache=(); fi
start_check eslint npx eslint "${eslint_cache[@]}" .
start_check prettier npm run -s format:check -- --cache --cache-location "$cache/prettier"
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
