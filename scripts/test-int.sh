#!/usr/bin/env bash
# `npm run test:int`: the integration tier (`test/**/*.int.test.ts`), two files at a time, with the
# files that mostly wait on the clock run one after another beside those two slots:
# - the relabelling oracle waits for two one-minute windows of live scraping to close;
# - the GCS and Azure fault suites wait out the client timeouts of the stalls they inject.
# In the two slots they held some 500 s while using little CPU (the two fault suites, run as a
# pair on a quiet 2-core machine: 44 s of CPU in 144 s). Extra tap options go to both runs. Ends with one `# { total: N, pass: P, fail: F }` line over both runs
# (scripts/test-all.sh reads the last such line) and fails if either did.
set -uo pipefail
cd "$(dirname "$0")/.."

waiting=(
  test/relabel/oracle.int.test.ts
  test/faults/gcs-faults.int.test.ts
  test/faults/azure-faults.int.test.ts
)
mapfile -t others < <(find test -name '*.int.test.ts' | sort | grep -vxF -f <(printf '%s\n' "${waiting[@]}"))
log=$(mktemp)
trap 'rm -f "$log" "$log.main"' EXIT
npx tap --jobs=1 --disable-coverage "$@" "${waiting[@]}" >"$log" 2>&1 &
waiting_pid=$!
npx tap --jobs=2 --disable-coverage "$@" "${others[@]}" | tee "$log.main"
main_status=${PIPESTATUS[0]}
wait "$waiting_pid"
waiting_status=$?
echo "=== the files that mostly wait, run one after another beside the others: ${waiting[*]}"
cat "$log"

# Both summaries added up: `# { total: 3, pass: 2, fail: 1 }` (fail only when non-zero).
node -e '
  const fs = require("fs");
  const sum = { total: 0, pass: 0, fail: 0 };
  for (const file of process.argv.slice(1)) {
    const last = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.startsWith("# { total")).pop() ?? "";
    const m = /total: (\d+), pass: (\d+)(?:, fail: (\d+))?/.exec(last);
    // A run that printed no summary (it crashed) counts as one failure.
    if (!m) { sum.fail += 1; continue; }
    sum.total += Number(m[1]); sum.pass += Number(m[2]); sum.fail += Number(m[3] ?? 0);
  }
  console.log(`# { total: ${sum.total}, pass: ${sum.pass}${sum.fail ? `, fail: ${sum.fail}` : ""} }`);
' "$log.main" "$log"
if [ "$main_status" -ne 0 ] || [ "$waiting_status" -ne 0 ]; then exit 1; fi
