/**
 * promtool-made block → our reader → our writer: promtool dumps the same samples, and because
 * series arrive in index order (so chunks land in the same order) our index is byte-identical
 * to the one Prometheus wrote.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { openBlock } from '../../src/tsdb/block-reader.ts';
import { BlockWriter } from '../../src/tsdb/block-writer.ts';
import { promtoolAnalyze, promtoolDump } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';
import { BLOCK_START, promtoolBlocks, sortedLabels, type KnownSeries } from '../helpers/tsdb-fixtures.ts';

function knownSeries(): KnownSeries[] {
  const out: KnownSeries[] = [];
  for (let s = 0; s < 25; s++) {
    const samples = [];
    // 15 s steps over the whole 2h block: several 120-sample chunks per series.
    for (let i = 0; i < 480; i++)
      samples.push({ t: BLOCK_START + i * 15_000, v: Math.round(Math.sin(i / 7) * 1000 * s) / 8 });
    out.push({
      labels: sortedLabels({
        __name__: s % 2 ? 'up' : 'node_load',
        instance: `host-${s}:9100`,
        job: 'node',
        zone: s % 3 ? 'é"\\x' : '𝔘nicode',
      }),
      samples,
    });
  }
  return out;
}

t.test('a promtool block copied through reader and writer dumps identically', async (t) => {
  const root = await tempDir(t);
  const src = join(root, 'src');
  const [id] = await promtoolBlocks(knownSeries(), src);
  const original = await openBlock(join(src, id!));
  t.teardown(() => original.close());
  const report = await original.verify();
  t.equal(report.numSeries, 25);

  const out = join(root, 'out');
  const w = await BlockWriter.open({
    parentDir: out,
    minTime: original.meta.minTime,
    maxTime: original.meta.maxTime,
    thanosLabels: { cluster_id: 'c1' },
  });
  // As the shipper does: without a promise where possible, through addSeries otherwise.
  let viaTry = 0;
  for await (const s of original.series()) {
    if (w.tryAddSeries(s.labels, s.chunks)) viaTry++;
    else await w.addSeries(s.labels, s.chunks);
  }
  t.equal(viaTry, 24, 'every series but the first (which opens the segment) fitted the write buffer');
  const written = await w.finish();
  t.ok(written);

  const want = await promtoolDump(src);
  const got = await promtoolDump(out);
  t.equal(got.length, 25 * 480);
  t.same(got, want, 'promtool dump of the copy equals the original');

  const ours = await readFile(join(written!.dir, 'index'));
  const theirs = await readFile(join(src, id!, 'index'));
  t.ok(ours.equals(theirs), 'index is byte-identical to the one promtool wrote');
  const ourChunks = await readFile(join(written!.dir, 'chunks', '000001'));
  const theirChunks = await readFile(join(src, id!, 'chunks', '000001'));
  t.ok(ourChunks.equals(theirChunks), 'chunk segment is byte-identical');

  const analyze = await promtoolAnalyze(out, written!.ulid);
  t.match(analyze, /Block ID: /);
  t.match(analyze, /Series: 25/);

  const copy = await openBlock(written!.dir);
  t.teardown(() => copy.close());
  const copyReport = await copy.verify();
  t.equal(copyReport.numSamples, 25 * 480);
  t.equal(copyReport.numChunks, 25 * 4);
});
