/**
 * On Node 20, processes that ship windows (`once`, each run of the agent) let V8's old generation
 * grow to at most twice what a full collection left alive: `--heap-growing-percent=100`.
 *
 * V8 picks that factor itself, up to about 4, from how fast its collections ran against the
 * allocation rate. On Node 20, at 250,000 series, a quarter of the runs (which ones depended on
 * timing) grew the heap to 72–80 MiB around 25–35 MiB alive, and their peak RSS to 190–234 MiB
 * instead of 130–145 MiB; capped, 34 runs peaked at 129–181 MiB. Node 22's V8 (the image's) was
 * measured the same way and gained nothing from it: over 160 MiB in 7 of 18 capped runs and in 2
 * of 18 without, for 5–16 % more CPU (BENCHMARKS.md). So it is left to choose there.
 *
 * The factor is read each time V8 sizes the heap after a collection, so it can be set at run time,
 * unlike the semi-space size (./run-node-flags.ts); NODE_OPTIONS does not accept it.
 */
import { setFlagsFromString } from 'node:v8';
import { flagName } from './run-node-flags.ts';

export const HEAP_GROWTH_FLAG = '--heap-growing-percent=100';

/**
 * Sets the flag on Node before 22, unless the process was started with one of its own
 * (`node --heap-growing-percent=N`). True when it set it.
 */
export function capHeapGrowth(
  execArgv: readonly string[] = process.execArgv,
  nodeVersion: string = process.versions.node,
): boolean {
  if (Number(nodeVersion.split('.')[0]) >= 22) return false;
  const name = flagName(HEAP_GROWTH_FLAG);
  if (execArgv.some((a) => flagName(a) === name)) return false;
  setFlagsFromString(HEAP_GROWTH_FLAG);
  return true;
}
