/**
 * The index writer keeps memory bounded by spilling to scratch files: sorted runs of symbols,
 * sorted runs of series records (when series arrive unsorted), postings filled in several
 * passes. With budgets tiny enough that every one of those paths runs many times, the index
 * must still be byte-identical to the one promtool wrote for the same series, and no scratch
 * file may be left behind.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { Label } from '../../src/labels.ts';
import { BlockWriter } from '../../src/tsdb/block-writer.ts';
import { DuplicateSeriesError } from '../../src/tsdb/errors.ts';
import { IndexReader } from '../../src/tsdb/index-reader.ts';
import { IndexWriter, type IndexWriterOptions } from '../../src/tsdb/index-writer.ts';
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

const TINY: IndexWriterOptions = { maxSymbolsInMemory: 5, sortRunBytes: 600, postingsPerPass: 40 };

t.test("tiny spill budgets give promtool's index bytes, sorted or shuffled input", async (t) => {
  const root = await tempDir(t);
  // Values whose JS UTF-16 order differs from Go's byte order (U+FF5E vs U+1F600), shared and
  // unique values, a label only some series carry, and one long value.
  const odd = ['a', 'B', '～', '😀', 'é', 'e', '0', '10', '9', 'a b', 'x'.repeat(300)];
  const series: KnownSeries[] = [];
  for (let s = 0; s < 240; s++) {
    series.push({
      labels: sortedLabels({
        __name__: `metric_${s % 5}`,
        pod: `pod-${s}`,
        ns: odd[s % odd.length]!,
        ...(s % 3 === 0 ? { extra: odd[(s * 7) % odd.length]! } : {}),
      }),
      samples: Array.from({ length: 130 + (s % 9) }, (_, i) => ({ t: BLOCK_START + i * 15_000, v: i + s })),
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
  t.equal(entries.length, 240);

  for (const [name, input] of [
    ['sorted', entries],
    ['shuffled', shuffle(entries, rng(11))],
  ] as const) {
    const spillDir = join(root, `spill-${name}`);
    await mkdir(spillDir);
    const w = new IndexWriter({ ...TINY, spillDir });
    let flushes = 0;
    for (const e of input) {
      w.addSeries(e.labels, e.chunks);
      if (w.wantsFlush) {
        flushes++;
        await w.flush();
      }
    }
    t.ok(flushes > 10, `${name}: the symbol budget forced ${flushes} spills`);
    const out = join(root, `index-${name}`);
    const written = await w.write(out);
    const ours = await readFile(out);
    t.equal(written.sizeBytes, ours.length, `${name}: reported size`);
    t.equal(written.numSeries, 240);
    t.ok(ours.equals(original), `${name}: byte-identical to promtool's index`);
    t.same(await readdir(spillDir), [], `${name}: no scratch files left`);
  }
});

t.test('a duplicate label set is found across spilled runs and leaves no scratch files', async (t) => {
  const root = await tempDir(t);
  const w = new IndexWriter({ ...TINY, spillDir: root });
  const labels = (i: number): Label[] => [
    ['__name__', 'm'],
    ['pod', `p-${i}`],
  ];
  const chunk = [{ minTime: BLOCK_START, maxTime: BLOCK_START + 1000, ref: 8 }];
  const order = shuffle(
    Array.from({ length: 100 }, (_, i) => i),
    rng(5),
  );
  for (const i of order) {
    w.addSeries(labels(i), chunk);
    if (w.wantsFlush) await w.flush();
  }
  w.addSeries(labels(42), chunk);
  const err = await w.write(join(root, 'index')).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(err, DuplicateSeriesError);
  t.match((err as Error).message, 'the series {__name__="m", pod="p-42"} was added twice');
  const left = (await readdir(root)).filter((n) => n !== 'index');
  t.same(left, [], 'scratch directory removed');
});

t.test('a block built with spilled index state holds only its own files', async (t) => {
  const root = await tempDir(t);
  const w = await BlockWriter.open({
    parentDir: root,
    minTime: BLOCK_START,
    maxTime: BLOCK_START + TWO_HOURS,
    thanosLabels: { cluster_id: 'c' },
  });
  for (let i = 0; i < 50; i++) {
    await w.addSeries(
      [
        ['__name__', 'm'],
        ['pod', `p-${i}`],
      ],
      xorChunks([{ t: BLOCK_START + i, v: i }]),
    );
  }
  const block = await w.finish();
  t.same((await readdir(root)).sort(), [block!.ulid], 'only the block directory, no tmp dir');
  t.same((await readdir(block!.dir)).sort(), ['chunks', 'index', 'meta.json']);
});
