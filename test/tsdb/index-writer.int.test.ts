/**
 * Given the same series and chunk references as a promtool-made block, fed in a shuffled
 * order, IndexWriter produces exactly the bytes of Prometheus' own index file.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { IndexReader } from '../../src/tsdb/index-reader.ts';
import { IndexWriter } from '../../src/tsdb/index-writer.ts';
import type { Label } from '../../src/labels.ts';
import { tempDir } from '../helpers/tmp.ts';
import { BLOCK_START, promtoolBlocks, rng, shuffle, sortedLabels, type KnownSeries } from '../helpers/tsdb-fixtures.ts';

t.test('index bytes equal those promtool wrote', async (t) => {
  const root = await tempDir(t);
  const series: KnownSeries[] = [];
  for (let s = 0; s < 60; s++) {
    series.push({
      labels: sortedLabels({
        __name__: `metric_${s % 4}`,
        pod: `pod-${s % 13}`,
        ...(s % 5 ? { ns: s % 2 ? 'kube-system' : 'ünï' } : {}),
        idx: String(s),
      }),
      samples: Array.from({ length: 150 + s }, (_, i) => ({ t: BLOCK_START + i * 15_000, v: i })),
    });
  }
  const [id] = await promtoolBlocks(series, join(root, 'ref'));
  const original = await readFile(join(root, 'ref', id!, 'index'));
  const parsed = new IndexReader(original, 'index');
  const entries = [...parsed.series()].map((e) => {
    const labels: Label[] = [];
    for (let i = 0; i < e.labelRefs.length; i += 2)
      labels.push([parsed.symbols[e.labelRefs[i]!]!, parsed.symbols[e.labelRefs[i + 1]!]!]);
    return { labels, chunks: e.chunks };
  });
  t.equal(entries.length, 60);

  const w = new IndexWriter();
  for (const e of shuffle(entries, rng(3))) w.addSeries(e.labels, e.chunks);
  const out = join(root, 'index');
  const written = await w.write(out);
  const ours = await readFile(out);
  t.equal(written.sizeBytes, ours.length);
  t.equal(ours.length, original.length);
  t.ok(ours.equals(original), 'byte-identical');
});
