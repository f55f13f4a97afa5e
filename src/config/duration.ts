/** Prometheus-style durations (`90s`, `15m`, `2h`, `1h30m`, `15d`, `1w`), in milliseconds. */
const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/**
 * The longest delay a Node.js timer can hold: 2^31-1 ms, about 24.8 days. Node does not keep a
 * longer one: setTimeout and setInterval fire it after 1 ms (with a TimeoutOverflowWarning), and a
 * socket timeout is cut down to this length (with the same warning on stderr).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const DURATION = /^(?:(\d+)(ms|s|m|h|d|w|y))+$/;
const PART = /(\d+)(ms|s|m|h|d|w|y)/g;

export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  if (!DURATION.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(PART)) total += Number(m[1]) * UNITS[m[2]!]!;
  return Number.isSafeInteger(total) ? total : undefined;
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
