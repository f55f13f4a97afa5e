/**
 * Whether the schedule reaches every window while it is due. A run at `f` ships the window ending
 * at `E` only when `E + shipDelay <= f < E + maxBackfill` (src/shipper/windows.ts): with a short
 * horizon and sparse runs, some windows are due only between two runs, and are never shipped while
 * every run reports success (an hourly schedule with a one-hour backfill: every 2h window falls
 * due five minutes after one run and leaves the horizon before the next).
 *
 * The schedule's next firings are taken from node-cron and every window ending among them is
 * checked, so a window it names is one that would really be missed. Only horizons under a day
 * are checked: that is where a daily or hourly schedule can miss, and computing firings costs a
 * start some 10–25 ms (node-cron's first Intl.DateTimeFormat), which the default 15d skips.
 */
import { nextScheduledRuns } from './next-run.ts';

const DAY_MS = 86_400_000;
/** Enough firings to span a day of an hourly schedule, or a few hours of a frequent one. */
const FIRINGS = 48;

export interface MissedWindow {
  /** The end of a window no run reaches while it is due. */
  windowEnd: number;
  /** The longest wait between two of the firings looked at. */
  longestGapMs: number;
}

export function missedWindow(
  schedule: string,
  blockDurationMs: number,
  shipDelayMs: number,
  maxBackfillMs: number,
): MissedWindow | undefined {
  if (maxBackfillMs - shipDelayMs >= DAY_MS || maxBackfillMs <= shipDelayMs) return undefined;
  const firings = nextScheduledRuns(schedule, FIRINGS);
  if (firings.length < 2) return undefined;
  let longestGapMs = 0;
  for (let i = 1; i < firings.length; i++) longestGapMs = Math.max(longestGapMs, firings[i]! - firings[i - 1]!);
  const first = firings[0]!;
  const last = firings[firings.length - 1]!;
  // Windows whose whole due time lies among the firings looked at.
  for (
    let end = Math.ceil((first - shipDelayMs) / blockDurationMs) * blockDurationMs;
    end + maxBackfillMs <= last;
    end += blockDurationMs
  ) {
    const reached = firings.some((f) => f >= end + shipDelayMs && f < end + maxBackfillMs);
    if (!reached) return { windowEnd: end, longestGapMs };
  }
  return undefined;
}
