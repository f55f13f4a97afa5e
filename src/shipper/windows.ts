/**
 * Which windows to ship. Windows are aligned to the block duration (which divides 2h), so every
 * block sits inside one of the compactor's aligned ranges, and one window maps to at most one
 * block per cluster.
 */
import type { Window } from '../series.ts';

export function alignDown(t: number, durationMs: number): number {
  return Math.floor(t / durationMs) * durationMs;
}

export function overlaps(a: Window, b: Window): boolean {
  return a.start < b.end && b.start < a.end;
}


export interface PlanInput {
  now: number;
  durationMs: number;
  /** A window is complete once `now >= end + shipDelayMs`. */
  shipDelayMs: number;
  /** Look no further back than this. */
  maxBackfillMs: number;
  /** The oldest sample Prometheus still holds, when known: older windows are certainly empty. */
  oldestDataMs?: number;
  /** Ranges already covered by blocks of this cluster in the bucket (any source). */
  covered: readonly (Window & { ulid: string })[];
}

export interface Plan {
  /** Complete, uncovered windows, oldest first. */
  toShip: Window[];
  /** Windows that a block in the bucket already covers (fully or partly). */
  covered: { window: Window; ulid: string }[];
}

export function planWindows(input: PlanInput): Plan {
  const { now, durationMs } = input;
  let from = alignDown(now - input.maxBackfillMs, durationMs);
  if (input.oldestDataMs !== undefined) from = Math.max(from, alignDown(input.oldestDataMs, durationMs));
  const lastEnd = alignDown(now - input.shipDelayMs, durationMs);
  const plan: Plan = { toShip: [], covered: [] };
  for (let start = from; start + durationMs <= lastEnd; start += durationMs) {
    const w = { start, end: start + durationMs };
    // Any overlap, even partial, would make two blocks of one cluster overlap and halt the compactor.
    const hit = input.covered.find((b) => overlaps(w, b));
    if (hit) plan.covered.push({ window: w, ulid: hit.ulid });
    else plan.toShip.push(w);
  }
  return plan;
}
