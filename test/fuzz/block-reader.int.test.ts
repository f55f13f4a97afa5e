/**
 * Target 5 (bonus): the block reader on damaged blocks. Real promtool-written blocks are mutated:
 * the index in memory (IndexReader, every section walked), and whole block directories on disk
 * (`openBlock().verify()`). Each input ends in a report or a typed error, never a crash or hang.
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { openBlock } from '../../src/tsdb/block-reader.ts';
import { IndexReader } from '../../src/tsdb/index-reader.ts';
import { tempDir } from '../helpers/tmp.ts';
import { assertTyped, fuzzRuns, mutate, mutationsArb, params, slowRuns, summary } from './fuzz-support.ts';
import { blockDirs, captureRealCorpus } from './real-corpus.ts';

/** Reads everything an index holds, as verify() and Thanos' readers would. */
function walkIndex(bytes: Uint8Array): number {
  const ix = new IndexReader(bytes, 'fuzz/index');
  let n = 0;
  for (const s of ix.series()) {
    n += s.labelRefs.length + s.chunks.length;
    ix.seriesAt(s.ref);
  }
  for (const e of ix.postingsTable()) n += ix.postings(e.offset, 'postings').length;
  for (const e of ix.labelIndicesTable()) n += ix.labelIndex(e.offset, 'label index').length;
  return n;
}

t.test('block reader under hostile bytes', async (t) => {
  const corpus = await captureRealCorpus(t);
  const blocks = await blockDirs(corpus.dataDir);
  t.ok(blocks.length >= 2, `${blocks.length} promtool-written blocks`);
  const files = await Promise.all(
    blocks.map(async (dir) => ({
      dir,
      meta: await readFile(join(dir, 'meta.json')),
      index: await readFile(join(dir, 'index')),
      chunks: await readFile(join(dir, 'chunks', '000001')),
    })),
  );
  const indexes = files.map((f) => f.index);
  for (const f of files) t.ok(walkIndex(f.index) > 0, 'the real index reads');

  await t.test('mutated index files, in memory', async (t) => {
    const counts = { inputs: 0, read: 0, rejected: 0 };
    const started = Date.now();
    fc.assert(
      fc.property(fc.nat(), mutationsArb(4), (which, mutations) => {
        counts.inputs++;
        const bytes = mutate(indexes[which % indexes.length]!, mutations, indexes);
        try {
          walkIndex(bytes);
          counts.read++;
        } catch (err) {
          assertTyped(err, 'IndexReader');
          counts.rejected++;
        }
      }),
      params(fuzzRuns(100_000), 0x5eed0401),
    );
    t.ok(counts.rejected > 0, 'damage is found');
    t.pass(summary('mutated index', counts, started));
  });

  await t.test('mutated block directories: verify() passes or fails typed', async (t) => {
    const scratch = await tempDir(t, 'promship-fuzz-block-');
    const counts = { inputs: 0, verified: 0, rejected: 0 };
    const started = Date.now();
    const fileArb = fc.constantFrom('meta', 'index', 'index', 'chunks', 'chunks', 'missing', 'extra');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(), fileArb, mutationsArb(3), async (which, file, mutations) => {
        counts.inputs++;
        const src = files[which % files.length]!;
        const dir = join(scratch, `b${n++}`, src.dir.slice(-26));
        await mkdir(join(dir, 'chunks'), { recursive: true });
        const parts = new Map<string, Uint8Array>([
          ['meta.json', src.meta],
          ['index', src.index],
          ['chunks/000001', src.chunks],
        ]);
        if (file === 'meta') parts.set('meta.json', mutate(src.meta, mutations));
        if (file === 'index') parts.set('index', mutate(src.index, mutations, indexes));
        if (file === 'chunks') parts.set('chunks/000001', mutate(src.chunks, mutations));
        if (file === 'missing') parts.delete(['meta.json', 'index', 'chunks/000001'][mutations[0]!.pos % 3]!);
        if (file === 'extra') parts.set(mutations[0]!.pos % 2 === 0 ? 'chunks/000002' : 'stray', mutations[0]!.bytes);
        for (const [name, bytes] of parts) await writeFile(join(dir, name), bytes);
        try {
          const reader = await openBlock(dir);
          try {
            await reader.verify();
            counts.verified++;
          } finally {
            await reader.close();
          }
        } catch (err) {
          assertTyped(err, `openBlock/verify (${file})`);
          counts.rejected++;
        } finally {
          await rm(join(dir, '..'), { recursive: true, force: true });
        }
      }),
      params(slowRuns(1_000), 0x5eed0402),
    );
    t.ok(counts.rejected > 0, 'damage is found');
    t.pass(summary('mutated block dirs', counts, started));
  });

  // The untouched copies still verify: the harness itself does not damage blocks.
  const copy = join(await tempDir(t, 'promship-fuzz-copy-'), files[0]!.dir.slice(-26));
  await cp(files[0]!.dir, copy, { recursive: true });
  const reader = await openBlock(copy);
  t.equal((await reader.verify()).numSeries > 0, true, 'an unmutated copy verifies');
  await reader.close();
});
