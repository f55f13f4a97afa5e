/**
 * Streamed remote read from real Prometheus 2.42: every series promtool sees in the window comes
 * out once, with Prometheus' external labels added, and its chunks hold exactly promtool's samples.
 */
import t from 'tap';
import { compareLabels, type Labels } from '../../src/labels.ts';
import { stripExternalLabels } from '../../src/prometheus/external-labels.ts';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import { ChunkEncoding, type Window } from '../../src/series.ts';
import { byStoredLabels, readAll, samplesOf, withExternal } from '../helpers/remote-read-checks.ts';
import { EXTERNAL, HOUR, labelsKey, startFixture, T0 } from '../helpers/remote-read-fixture.ts';

t.test('streamed read against real Prometheus', async (t) => {
  const fixture = await startFixture(t);
  const client = new RemoteReadClient({ url: fixture.prometheus.url, timeoutMs: 30_000 });
  t.teardown(() => client.close());

  const windows: [string, Window][] = [
    ['one aligned block', { start: T0 + 2 * HOUR, end: T0 + 4 * HOUR }],
    ['across three blocks', { start: T0 + HOUR, end: T0 + 5 * HOUR }],
    ['the first samples', { start: T0, end: T0 + 2 * HOUR }],
  ];
  for (const [name, window] of windows) {
    await t.test(name, async (t) => {
      const [series, truth] = await Promise.all([readAll(client, window), fixture.truth(window)]);
      t.ok(truth.size > 20, `promtool sees ${truth.size} series`);

      const got = byStoredLabels(series);
      t.equal(got.size, series.length, 'each series comes out once');
      t.same([...got.keys()].sort(), [...truth.keys()].sort(), 'the same series as promtool');

      for (const [key, want] of truth) {
        const s = got.get(key);
        if (s === undefined) continue;
        t.same(s.labels, withExternal(want.labels), `${key}: external labels added, own labels win`);
        t.same(samplesOf(s), want.samples, `${key}: the samples promtool dumps`);
        for (const c of s.chunks) {
          t.equal(c.encoding, ChunkEncoding.XOR, `${key}: XOR chunk`);
          t.ok(c.minTime >= window.start && c.maxTime < window.end, `${key}: chunk inside the window`);
        }
      }

      const stored = series.map((s) => stripExternalLabels(s.labels, EXTERNAL));
      const increasing = stored.every((l, i) => i === 0 || compareLabels(stored[i - 1]!, l) < 0);
      t.ok(increasing, 'series arrive sorted by their stored labels');
    });
  }

  await t.test('the order is that of stored labels, not of labels with external labels added', async (t) => {
    const series = await readAll(client, { start: T0 + 2 * HOUR, end: T0 + 4 * HOUR });
    const keys = series.map((s) => labelsKey(s.labels));
    const bare: Labels = [
      ['__name__', 'a'],
      ['cluster_id', 'c1'],
    ];
    const withB: Labels = [
      ['__name__', 'a'],
      ['b', '1'],
      ['cluster_id', 'c1'],
    ];
    t.ok(keys.indexOf(labelsKey(bare)) < keys.indexOf(labelsKey(withB)), 'a{} arrives before a{b="1"}');
    t.ok(compareLabels(withB, bare) < 0, 'although with cluster_id added a{b="1"} sorts first');
  });

  await t.test('a window without data yields nothing', async (t) => {
    t.same(await readAll(client, { start: T0 + 10 * HOUR, end: T0 + 12 * HOUR }), []);
  });

  await t.test('matchers narrow the read', async (t) => {
    const series = [];
    for await (const s of client.read(
      { start: T0, end: T0 + 6 * HOUR },
      { matchers: [{ type: 'EQ', name: '__name__', value: 'unicode' }] },
    )) {
      series.push(s.labels);
    }
    // Go orders U+FFFD before U+1F600.
    t.same(series, [
      [
        ['__name__', 'unicode'],
        ['city', 'Zürich'],
        ['cluster_id', 'c1'],
        ['v', '\uFFFD'],
      ],
      [
        ['__name__', 'unicode'],
        ['city', 'Zürich'],
        ['cluster_id', 'c1'],
        ['v', '\u{1F600}'],
      ],
    ]);
  });
});
