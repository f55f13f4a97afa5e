/**
 * Two series that a rule makes equal (labeldrop of the label that told them apart) are shipped as
 * one: every distinct timestamp kept, at a shared timestamp the sample of the series that sorts
 * first in Prometheus' order, the count in the window's log line; the window does not fail. The
 * same when a rule makes a series equal to one it leaves alone, which only the block writer sees.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { logLines, runCli } from '../helpers/cli.ts';
import { createBlocksFromOpenMetrics, promtoolDump, startPrometheus } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';

const H = 3_600_000;
const windowStart = (): number => Math.floor(Date.now() / (2 * H)) * (2 * H) - 4 * H;

/** Ships `om` once under a labeldrop of `a`: the `shipped block` log lines, and the bucket's dump. */
async function shipUnderLabeldrop(
  t: Test,
  om: string,
): Promise<{ shipped: Record<string, unknown>[]; dump: () => Promise<string[]> }> {
  const dir = await tempDir(t, 'promship-collide-');
  await createBlocksFromOpenMetrics(om, join(dir, 'source'));
  const prom = await startPrometheus({ dataDir: join(dir, 'source'), externalLabels: { cluster_id: 'c1' } });
  t.teardown(async () => {
    await prom.stop();
  });
  await writeFile(join(dir, 'rules.yaml'), '- action: labeldrop\n  regex: a\n');
  const res = await runCli(['once'], {
    PROMSHIP_PROMETHEUS_URL: prom.url,
    PROMSHIP_BUCKET: `file://${join(dir, 'bucket')}`,
    PROMSHIP_CLUSTER_ID: 'c1',
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_MAX_BACKFILL: '1d',
    PROMSHIP_RELABEL_CONFIG_FILE: join(dir, 'rules.yaml'),
  });
  t.equal(res.code, 0, res.stderr);
  return {
    shipped: logLines(res.stdout).filter((l) => l.msg === 'shipped block'),
    dump: () => promtoolDump(join(dir, 'bucket')),
  };
}

t.test('colliding series merge in time order, one sample per timestamp, counted', async (t) => {
  const start = windowStart();
  const a: [number, number][] = [];
  const b: [number, number][] = [];
  // 10 s and 15 s steps over 30 minutes: they share every 30 s (60 ties), 180 + 120 samples.
  for (let s = 0; s < 1800; s += 10) a.push([start + s * 1000, s]);
  for (let s = 0; s < 1800; s += 15) b.push([start + s * 1000, 100_000 + s]);
  const other: [number, number][] = [
    [start, 7],
    [start + 60_000, 8],
  ];
  const om = [
    '# TYPE m gauge',
    ...a.map(([ts, v]) => `m{a="1",b="x"} ${v} ${ts / 1000}`),
    ...b.map(([ts, v]) => `m{a="2",b="x"} ${v} ${ts / 1000}`),
    ...other.map(([ts, v]) => `m{a="3",b="y"} ${v} ${ts / 1000}`),
    '# EOF',
    '',
  ].join('\n');
  const { shipped, dump } = await shipUnderLabeldrop(t, om);
  t.equal(shipped.length, 1);
  t.equal(shipped[0]?.mergedSeries, 1, 'one series merged into another');
  t.equal(shipped[0]?.duplicateSamples, 60, 'the 60 shared timestamps kept once');
  t.equal(shipped[0]?.series, 2);

  // The truth, built from the input above: series a="1" sorts first, so it wins every tie.
  const merged = new Map<number, number>();
  for (const [ts, v] of [...a, ...b]) if (!merged.has(ts)) merged.set(ts, v);
  const want = [
    ...[...merged].sort((x, y) => x[0] - y[0]).map(([ts, v]) => `{__name__="m", b="x"} ${v} ${ts}`),
    ...other.map(([ts, v]) => `{__name__="m", b="y"} ${v} ${ts}`),
  ];
  const got = await dump();
  t.equal(got.length, 180 + 120 - 60 + 2);
  t.same(got, want, 'every distinct timestamp, in time order, ties from the first series');
});

t.test('a series a rule changes into one it leaves alone merges with it too', async (t) => {
  const start = windowStart();
  // `n{b="x"}` has no `a`, so labeldrop leaves it as it is; `n{a="9",b="x"}` becomes its twin.
  const plain: [number, number][] = [];
  const dropped: [number, number][] = [];
  for (let s = 0; s < 1800; s += 20) plain.push([start + s * 1000, s]);
  for (let s = 0; s < 1800; s += 30) dropped.push([start + s * 1000, 500_000 + s]);
  const om = [
    '# TYPE n gauge',
    ...plain.map(([ts, v]) => `n{b="x"} ${v} ${ts / 1000}`),
    ...dropped.map(([ts, v]) => `n{a="9",b="x"} ${v} ${ts / 1000}`),
    '# EOF',
    '',
  ].join('\n');
  const { shipped, dump } = await shipUnderLabeldrop(t, om);
  t.equal(shipped.length, 1);
  t.equal(shipped[0]?.mergedSeries, 1, 'the changed series merged into the unchanged one');
  t.equal(shipped[0]?.duplicateSamples, 30, 'the 30 shared timestamps (every minute) kept once');
  t.equal(shipped[0]?.series, 1);

  // {__name__="n", a="9", b="x"} sorts before {__name__="n", b="x"} ("a" < "b"): it wins every tie.
  const merged = new Map<number, number>();
  for (const [ts, v] of [...dropped, ...plain]) if (!merged.has(ts)) merged.set(ts, v);
  const want = [...merged].sort((x, y) => x[0] - y[0]).map(([ts, v]) => `{__name__="n", b="x"} ${v} ${ts}`);
  const got = await dump();
  t.equal(got.length, 90 + 60 - 30);
  t.same(got, want, 'every distinct timestamp, in time order, ties from the series that sorts first');
});
