#!/usr/bin/env bash
# `npm run test:int`: the integration tier (`test/**/*.int.test.ts`), three files at a time, with
# the files that mostly wait on the clock in two more slots beside those three:
# - the relabelling oracle waits for two one-minute windows of live scraping to close;
# - the GCS and Azure fault suites wait out the client timeouts of the stalls they inject.
# In the main slots they held some 500 s while using little CPU (the two fault suites, run as a
# pair on a quiet 2-core machine: 44 s of CPU in 144 s). Run one after another beside them they
# took 355–500 s (the Azure suite's faults are seeded at random, 78–183 s), as long as the other
# 90 files, so they share two slots of their own. Three main slots, not two, on 2 cores: many files
# wait on servers and processes they start, and with two the cores sat partly idle (on Node 22 the
# tier took 541–571 s with two and 516–540 s with three, in clean-clone runs). Extra tap options
# go to both runs. Each run ends with its own tap summary (scripts/test-all.sh adds them up); fails
# if either run did.
set -uo pipefail
cd "$(dirname "$0")/.."

waiting=(
  test/relabel/oracle.int.test.ts
  test/faults/gcs-faults.int.test.ts
  test/faults/azure-faults.int.test.ts
)
mapfile -t others < <(find test -name '*.int.test.ts' | sort | grep -vxF -f <(printf '%s\n' "${waiting[@]}"))
log=$(mktemp)
trap 'rm -f "$log"' EXIT
npx tap --jobs=2 --disable-coverage "$@" "${waiting[@]}" >"$log" 2>&1 &
waiting_pid=$!
npx tap --jobs=3 --disable-coverage "$@" "${others[@]}"
main_status=$?
wait "$waiting_pid"
waiting_status=$?
echo "=== the files that mostly wait, run beside the others: ${waiting[*]}"
cat "$log"

if [ "$main_status" -ne 0 ] || [ "$waiting_status" -ne 0 ]; then exit 1; fi
