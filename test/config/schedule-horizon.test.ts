/**
 * A schedule whose runs are too far apart for PROMSHIP_MAX_BACKFILL − PROMSHIP_SHIP_DELAY leaves
 * windows that are due only between two runs: nothing ever ships them while every run reports
 * success. Such settings stop the start, naming PROMSHIP_MAX_BACKFILL and the schedule. The
 * truth it is judged against is the planner itself: for each accepted setting below, a simulated
 * day of runs at the schedule's firings (worked out by hand, not by node-cron) must plan every
 * window; for each refused one, some window must be planned by none.
 */
import t from 'tap';
import { loadConfig } from '../../src/config/load.ts';
import { planWindows } from '../../src/shipper/windows.ts';
import { configError } from '../helpers/config-error.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Firings of `everyMinutes`-minute schedules offset by `atMinute`, over two days from an aligned start. */
function firings(everyMinutes: number, atMinute: number): number[] {
  const start = 1_800_000_000_000 - (1_800_000_000_000 % (24 * HOUR));
  const out: number[] = [];
  for (let at = start + atMinute * MINUTE; at < start + 48 * HOUR; at += everyMinutes * MINUTE) out.push(at);
  return out;
}

/** Window starts the planner gives at some firing, over the middle day (windows of 2h). */
function shipped(runs: number[], shipDelay: number, maxBackfill: number): Set<number> {
  const out = new Set<number>();
  for (const now of runs)
    for (const w of planWindows({
      now,
      durationMs: 2 * HOUR,
      shipDelayMs: shipDelay,
      maxBackfillMs: maxBackfill,
      covered: [],
    }).toShip)
      out.add(w.start);
  return out;
}

function everyWindowOfTheMiddleDay(runs: number[], shipDelay: number, maxBackfill: number): boolean {
  const got = shipped(runs, shipDelay, maxBackfill);
  const dayStart = runs[0]! - (runs[0]! % (24 * HOUR)) + 12 * HOUR;
  for (let s = dayStart; s < dayStart + 24 * HOUR; s += 2 * HOUR) if (!got.has(s)) return false;
  return true;
}

const cases: { schedule: string; every: number; at: number; backfill: string; ok: boolean }[] = [
  { schedule: '0 * * * *', every: 60, at: 0, backfill: '1h', ok: false },
  { schedule: '0 */2 * * *', every: 120, at: 0, backfill: '1h', ok: false },
  { schedule: '0 * * * *', every: 60, at: 0, backfill: '2h', ok: true },
  { schedule: '5 */2 * * *', every: 120, at: 5, backfill: '1h', ok: true },
  { schedule: '*/5 * * * *', every: 5, at: 0, backfill: '1h', ok: true },
  { schedule: '*/30 * * * *', every: 30, at: 0, backfill: '30m', ok: false },
];

for (const c of cases) {
  t.test(`${c.schedule} with a ${c.backfill} backfill`, async (t) => {
    const env = { PROMSHIP_SCHEDULE: c.schedule, PROMSHIP_MAX_BACKFILL: c.backfill, PROMSHIP_SHIP_DELAY: '5m' };
    const backfillMs = loadConfig({ env: { PROMSHIP_MAX_BACKFILL: c.backfill } }).maxBackfill;
    t.equal(
      everyWindowOfTheMiddleDay(firings(c.every, c.at), 5 * MINUTE, backfillMs),
      c.ok,
      `the planner ${c.ok ? 'ships' : 'misses'} windows at these runs`,
    );
    if (c.ok) {
      t.doesNotThrow(() => loadConfig({ env }), 'accepted');
    } else {
      const err = configError(() => loadConfig({ env }));
      t.match(err.message, /^invalid PROMSHIP_MAX_BACKFILL: is too short for PROMSHIP_SCHEDULE '/);
      t.match(err.message, /would never ship/);
      t.notMatch(err.message, /\n/, 'one line');
    }
  });
}

t.test('the default backfill is not checked at all', async (t) => {
  t.doesNotThrow(() => loadConfig({ env: { PROMSHIP_SCHEDULE: '0 0 * * 0' } }));
});
