import t from 'tap';
import { overlaps, planWindows } from '../../src/shipper/windows.ts';

const H = 3_600_000;
const M = 60_000;
// 2026-01-01T00:00:00Z, a 2h-aligned instant.
const T0 = Date.UTC(2026, 0, 1);

t.test('aligned, complete windows only, oldest first', async (t) => {
  const plan = planWindows({
    now: T0 + 6 * H + 3 * M,
    durationMs: 2 * H,
    shipDelayMs: 5 * M,
    maxBackfillMs: 7 * H,
    covered: [],
  });
  // now-delay = T0+5h58m → last complete window ends at T0+4h; backfill reaches T0-1h → aligned T0-2h.
  t.same(plan.toShip, [
    { start: T0 - 2 * H, end: T0 },
    { start: T0, end: T0 + 2 * H },
    { start: T0 + 2 * H, end: T0 + 4 * H },
  ]);
  const later = planWindows({
    now: T0 + 6 * H + 5 * M,
    durationMs: 2 * H,
    shipDelayMs: 5 * M,
    maxBackfillMs: 7 * H,
    covered: [],
  });
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
  const plan = planWindows({
    now: T0 + 10 * H,
    durationMs: 2 * H,
    shipDelayMs: 0,
    maxBackfillMs: 30 * 24 * H,
    oldestDataMs: T0 + 3 * H,
    covered: [],
  });
  t.same(plan.toShip[0], { start: T0 + 2 * H, end: T0 + 4 * H });
});

t.test('windows a block covers are skipped; of a partly covered one only the rest is shipped', async (t) => {
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
  const min = (w: { start: number; end: number }): [number, number] => [(w.start - T0) / M, (w.end - T0) / M];
  t.same(
    plan.covered.map((c) => [...min(c.window), c.ulid]),
    [
      [0, 30, 'A'],
      [30, 60, 'A'],
      [60, 90, 'A'],
      [90, 120, 'A'],
      [250, 260, 'B'],
    ],
  );
  t.same(
    plan.toShip.map(min),
    [
      [120, 150],
      [150, 180],
      [180, 210],
      [210, 240],
      [240, 250],
      [260, 270],
      [270, 300],
      [300, 330],
      [330, 360],
      [360, 390],
      [390, 420],
      [420, 450],
      [450, 480],
    ],
    'the window around B is shipped in the two parts B leaves free, every other free window whole',
  );
  // Whatever is shipped overlaps no block and no other part.
  const all = [...plan.toShip, ...plan.covered.map((c) => c.window)].sort((a, b) => a.start - b.start);
  for (let i = 1; i < all.length; i++) t.ok(all[i - 1]!.end <= all[i]!.start, `no overlap at ${String(min(all[i]!))}`);
  t.equal(
    all.reduce((n, w) => n + w.end - w.start, 0),
    8 * H,
    'and together they cover the horizon',
  );
});

t.test('a longer block duration after shorter blocks ships only what they leave out', async (t) => {
  // 15m blocks up to 10:15, then the duration changed to 2h: the 10:00-12:00 window keeps 10:15-12:00.
  const plan = planWindows({
    now: T0 + 12 * H,
    durationMs: 2 * H,
    shipDelayMs: 0,
    maxBackfillMs: 4 * H,
    covered: Array.from({ length: 9 }, (_, i) => ({
      start: T0 + 8 * H + i * 15 * M,
      end: T0 + 8 * H + (i + 1) * 15 * M,
      ulid: `Q${i}`,
    })),
  });
  t.same(plan.toShip, [{ start: T0 + 10 * H + 15 * M, end: T0 + 12 * H }]);
});

t.test('the ledger memory covers windows whose blocks are gone; a downsampled block covers too', async (t) => {
  const plan = planWindows({
    now: T0 + 8 * H,
    durationMs: 2 * H,
    shipDelayMs: 0,
    maxBackfillMs: 8 * H,
    // Raw blocks of 0-4h deleted by retention; their 5m-downsampled block is still there.
    covered: [{ start: T0, end: T0 + 4 * H, ulid: 'D', level: 3 }],
    // Shipped 0-6h once; 4-6h's block is gone at every resolution.
    remembered: [{ start: T0, end: T0 + 6 * H }],
  });
  t.same(
    plan.covered.map((c) => [c.window.start - T0, c.level]),
    [
      [0, 3],
      [2 * H, 3],
    ],
  );
  const remembered = { start: T0 + 4 * H, end: T0 + 6 * H };
  t.notOk(
    [...plan.toShip, ...plan.covered.map((c) => c.window)].some((w) => overlaps(w, remembered)),
    '4-6h: only the memory covers it, and it is not shipped',
  );
  t.same(plan.toShip, [{ start: T0 + 6 * H, end: T0 + 8 * H }], 'only the window never shipped');
});
