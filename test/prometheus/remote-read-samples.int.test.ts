/**
 * The SAMPLES fallback (forced with acceptedResponseTypes) against real Prometheus: the same
 * samples as promtool dumps, series sorted by labels, samples by time.
 */
import t from 'tap';
import { compareLabels } from '../../src/labels.ts';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import type { Window } from '../../src/series.ts';
import { byStoredLabels, readAll, withExternal } from '../helpers/remote-read-checks.ts';
import { HOUR, startFixture, T0 } from '../helpers/remote-read-fixture.ts';

t.test('SAMPLES response from real Prometheus', async (t) => {
  const fixture = await startFixture(t);
  const client = new RemoteReadClient({
    url: fixture.prometheus.url,
    timeoutMs: 30_000,
    acceptedResponseTypes: ['SAMPLES'],
  });
  t.teardown(() => client.close());

  for (const window of [
    { start: T0 + 2 * HOUR, end: T0 + 4 * HOUR },
    { start: T0 + HOUR + 123_456, end: T0 + 5 * HOUR - 7_001 },
  ] satisfies Window[]) {
    const [series, truth] = await Promise.all([readAll(client, window), fixture.truth(window)]);
    t.ok(truth.size > 20, `promtool sees ${truth.size} series`);
    const got = byStoredLabels(series);
    t.equal(got.size, series.length, 'each series once');
    t.same([...got.keys()].sort(), [...truth.keys()].sort(), 'the same series as promtool');
    for (const [key, want] of truth) {
      const s = got.get(key)!;
      t.same(s.chunks, [], `${key}: no chunks`);
      t.same(s.labels, withExternal(want.labels), `${key}: labels`);
      t.same(s.samples, want.samples, `${key}: the samples promtool dumps`);
    }
    t.ok(
      series.every((s, i) => i === 0 || compareLabels(series[i - 1]!.labels, s.labels) < 0),
      'series sorted by labels',
    );
  }
});
