import t from 'tap';
import { planWindows } from '../../src/shipper/windows.ts';

const H = 3_600_000;
const M = 60_000;
// 2026-01-01T00:00:00Z, a 2h-aligned instant.
const T0 = Date.UTC(2026, 0, 1);

t.test('aligned, complete windows only, oldest first', async (t) => {
  const plan = planWindows({ now: T0 + 6 * H + 3 * M, durationMs: 2 * H, shipDelayMs: 5 * M, maxBackfillMs: 7 * H, covered: [] });
  // now-delay = T0+5h58m → last complete window ends at T0+4h; backfill reaches T0-1h → aligned T0-2h.
  t.same(plan.toShip, [
    { start: T0 - 2 * H, end: T0 },
    { start: T0, end: T0 + 2 * H },
    { start: T0 + 2 * H, end: T0 + 4 * H },
  ]);
  const later = planWindows({ now: T0 + 6 * H + 5 * M, durationMs: 2 * H, shipDelayMs: 5 * M, maxBackfillMs: 7 * H, covered: [] });
  t.same(later.toShip.at(-1), { start: T0 + 4 * H, end: T0 + 6 * H }, 'complete exactly at end + delay');
});

t.test('sub-2h durations stay aligned and contiguous', async (t) => {
  const plan = planWindows({ now: T0 + 2 * H, durationMs: 30 * M, shipDelayMs: 0, maxBackfillMs: 2 * H, covered: [] });
  t.equal(plan.toShip.length, 4);
  plan.toShip.forEach((w, i) => {
    t.equal(w.start, T0 + i * 30 * M);
    t.equal(w.end - w.start, 30 * M);
  });
});

t.test('oldest data caps the backfill', async (t) => {
  const plan = planWindows({ now: T0 + 10 * H, durationMs: 2 * H, shipDelayMs: 0, maxBackfillMs: 30 * 24 * H, oldestDataMs: T0 + 3 * H, covered: [] });
  t.same(plan.toShip[0], { start: T0 + 2 * H, end: T0 + 4 * H });
});

t.test('windows overlapping any existing block are skipped, even partly', async (t) => {
  const plan = planWindows({
    now: T0 + 8 * H,
    durationMs: 30 * M,
    shipDelayMs: 0,
    maxBackfillMs: 8 * H,
    covered: [
      { start: T0, end: T0 + 2 * H, ulid: 'A' }, // a sidecar's 2h block
      { start: T0 + 4 * H + 10 * M, end: T0 + 4 * H + 20 * M, ulid: 'B' },
    ],
  });
  const covered = plan.covered.map((c) => (c.window.start - T0) / M);
  t.same(covered, [0, 30, 60, 90, 240]);
  t.notOk(plan.toShip.some((w) => w.start < T0 + 2 * H || w.start === T0 + 4 * H));
  t.equal(plan.toShip.length + plan.covered.length, 16);
});
