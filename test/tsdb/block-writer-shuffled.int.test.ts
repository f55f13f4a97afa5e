/**
 * Series may reach the writer in any order (stripping external labels reorders them); the
 * index must still list them sorted in Go byte order, which promtool's dump order and
 * Prometheus' own reader check.
 */
import { join } from 'node:path';
import t from 'tap';
import { openBlock } from '../../src/tsdb/block-reader.ts';
import { BlockWriter } from '../../src/tsdb/block-writer.ts';
import { promtoolDump } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';
import {
  BLOCK_START,
  TWO_HOURS,
  promtoolBlocks,
  rng,
  shuffle,
  sortedLabels,
  xorChunks,
  type KnownSeries,
} from '../helpers/tsdb-fixtures.ts';

t.test('shuffled series produce a sorted, valid index', async (t) => {
  const root = await tempDir(t);
  // Values chosen so JS UTF-16 order differs from Go byte order (U+FF5E vs U+1F600).
  const values = ['a', 'B', 'b', '～', '😀', 'é', 'e', '0', '10', '9', 'aa', 'a b'];
  const series: KnownSeries[] = [];
  for (const [i, v] of values.entries()) {
    for (let k = 0; k < 20; k++) {
      const labels: Record<string, string> = { __name__: k % 3 ? 'x' : 'x_other', v, k: String(k) };
      if (k % 4 === 0) labels.extra = v;
      series.push({
        labels: sortedLabels(labels),
        samples: Array.from({ length: 130 }, (_, j) => ({ t: BLOCK_START + j * 10_000 + i, v: j + k })),
      });
    }
  }
  const ref = join(root, 'ref');
  await promtoolBlocks(series, ref);

  const out = join(root, 'out');
  const w = await BlockWriter.open({
    parentDir: out,
    minTime: BLOCK_START,
    maxTime: BLOCK_START + TWO_HOURS,
    thanosLabels: { c: '1' },
  });
  for (const s of shuffle(series, rng(7))) await w.addSeries(s.labels, xorChunks(s.samples));
  const block = await w.finish();

  const want = await promtoolDump(ref);
  t.equal(want.length, series.length * 130);
  t.same(await promtoolDump(out), want, 'dump (sorted by promtool from our index) equals the reference');

  const reader = await openBlock(block!.dir);
  t.teardown(() => reader.close());
  const report = await reader.verify();
  t.equal(report.numSeries, series.length);
  const order: string[] = [];
  for await (const s of reader.series()) order.push(JSON.stringify(s.labels));
  const expected = [...series]
    .map((s) => s.labels)
    .sort((a, b) => {
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const d =
          Buffer.compare(Buffer.from(a[i]![0]), Buffer.from(b[i]![0])) ||
          Buffer.compare(Buffer.from(a[i]![1]), Buffer.from(b[i]![1]));
        if (d) return d;
      }
      return a.length - b.length;
    })
    .map((l) => JSON.stringify(l));
  t.same(order, expected, 'series come back in UTF-8 byte order of their label sets');
});
