/**
 * Which windows to ship. Windows are aligned to the block duration (which divides 2h), so every
 * block sits inside one of the compactor's aligned ranges, and one window maps to at most one
 * block per cluster (or, where blocks already cover part of it, one block per uncovered part).
 */
import type { Window } from '../series.ts';

function alignDown(t: number, durationMs: number): number {
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
  /** Ranges of this cluster's blocks in the bucket (any source, any resolution). */
  covered: readonly CoveringBlock[];
  /**
   * Ranges the ledger remembers as shipped or covered, whose blocks the compactor's retention
   * may since have deleted: shipping them again would duplicate data Thanos already downsampled.
   */
  remembered?: readonly Window[];
}

export interface CoveringBlock extends Window {
  ulid: string;
  /** Thanos compaction level: 1 for blocks as uploaded, more for blocks the compactor made. */
  level?: number;
}

export interface Plan {
  /**
   * What to ship, oldest first: complete windows that nothing covers, and the parts of a window
   * that blocks cover only partly (after a change of block duration, or beside a sidecar's
   * first, unaligned block), so that no data is left out and no block overlaps another.
   */
  toShip: Window[];
  /** The parts of windows that a block covers, with the block. */
  covered: { window: Window; ulid: string; level: number }[];
  /** The start of the oldest window considered. */
  from: number;
}

export function planWindows(input: PlanInput): Plan {
  const { now, durationMs } = input;
  let from = alignDown(now - input.maxBackfillMs, durationMs);
  if (input.oldestDataMs !== undefined) from = Math.max(from, alignDown(input.oldestDataMs, durationMs));
  const lastEnd = alignDown(now - input.shipDelayMs, durationMs);
  const plan: Plan = { toShip: [], covered: [], from };
  const remembered = input.remembered ?? [];
  for (let start = from; start + durationMs <= lastEnd; start += durationMs) {
    const w = { start, end: start + durationMs };
    // Any overlap, even partial, would make two blocks of one cluster overlap and halt the compactor.
    const blocks = input.covered.filter((b) => overlaps(w, b));
    for (const b of blocks) plan.covered.push({ window: clip(b, w), ulid: b.ulid, level: b.level ?? 1 });
    const memory = remembered.filter((r) => overlaps(w, r));
    // With nothing covering it, the one gap is the whole window.
    plan.toShip.push(...uncovered(w, [...blocks, ...memory]));
  }
  return plan;
}

function clip(r: Window, to: Window): Window {
  return { start: Math.max(r.start, to.start), end: Math.min(r.end, to.end) };
}

/** The parts of `w` that none of `ranges` covers, in time order. */
export function uncovered(w: Window, ranges: readonly Window[]): Window[] {
  const gaps: Window[] = [];
  let at = w.start;
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    if (r.start > at) gaps.push({ start: at, end: Math.min(r.start, w.end) });
    at = Math.max(at, r.end);
    if (at >= w.end) break;
  }
  if (at < w.end) gaps.push({ start: at, end: w.end });
  return gaps.filter((g) => g.start < g.end);
}
