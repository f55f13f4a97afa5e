/**
 * Processes that ship windows (`once`, each run of the agent) let V8's old generation grow to at
 * most twice what a full collection left alive: `--heap-growing-percent=100`.
 *
 * V8 picks that factor itself, between about 1.1 and 4, from how fast its collections ran against
 * the allocation rate, so a run that happened to collect quickly early on kept far more garbage
 * later. At 250,000 series a quarter to a half of the runs of one build (which ones depended on
 * timing) grew the heap to 72–80 MiB around 25–35 MiB alive, and their peak RSS to 200–228 MiB
 * instead of 130–145 MiB (BENCHMARKS.md); on Node 22 every run was high. The factor is read each
 * time V8 sizes the heap after a collection, so it can be set at run time, unlike the
 * semi-space size (src/daemon/run-node-flags.ts); NODE_OPTIONS does not accept it.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWTH_FLAG = '--heap-growing-percent=100';

/** Sets the flag unless the process was started with one of its own (`node --heap-growing-percent=N`). */
export function capHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a))) return false;
  setFlagsFromString(HEAP_GROWTH_FLAG);
  return true;
}
