/**
 * An agent that never shipped must be visible: promship_shipping_lag_seconds does not read 0 but
 * counts from the first window that should have shipped (NaN only before the first run reports),
 * and promship_never_shipped is 1 until a block of the cluster is known to be in the bucket.
 */
import t from 'tap';
import { ShipperMetrics } from '../../src/daemon/metrics.ts';
import type { RunReport } from '../../src/daemon/run-protocol.ts';
import { parseMetrics } from '../helpers/daemon.ts';

const H = 3_600_000;
const report = (over: Partial<RunReport>): RunReport => ({
  shipped: [],
  claimedElsewhere: 0,
  failed: [],
  retrying: [],
  pending: 0,
  newestShippedEnd: undefined,
  plannedFrom: 0,
  overtaken: 0,
  durationMs: 1,
  ...over,
});

void t.test('lag and never-shipped on a fresh agent, a failing one and one that shipped', async (t) => {
  let now = 100 * H;
  const m = new ShipperMetrics('test', () => now);
  const read = async (): Promise<Map<string, number>> => parseMetrics(await m.registry.metrics());

  let got = await read();
  t.ok(Number.isNaN(got.get('promship_shipping_lag_seconds')), 'NaN before any run reported: unknown, not 0');
  t.equal(got.get('promship_never_shipped'), 1, 'never shipped from the start');

  // A run that shipped nothing (every window failed): the lag counts from the first due window.
  m.recordRun(
    report({
      plannedFrom: 90 * H,
      failed: [{ window: { start: 90 * H, end: 92 * H }, code: 'PROMSHIP_REMOTE_READ_HTTP', message: 'x' }],
      pending: 5,
    }),
  );
  got = await read();
  t.equal(
    got.get('promship_shipping_lag_seconds'),
    10 * 3600,
    'now minus the start of the first window that should have shipped',
  );
  t.equal(got.get('promship_never_shipped'), 1);
  now += H;
  t.equal((await read()).get('promship_shipping_lag_seconds'), 11 * 3600, 'and it grows');

  m.recordRun(report({ plannedFrom: 90 * H, newestShippedEnd: 100 * H }));
  got = await read();
  t.equal(got.get('promship_shipping_lag_seconds'), 3600, 'once shipped: now minus the newest shipped end');
  t.equal(got.get('promship_never_shipped'), 0);
});
