/**
 * `finish({ whileIndexing })` hands out the chunk segments once they are final, runs that work
 * beside the index build, and moves the block into place only after it: the shipper uploads the
 * segments from those files meanwhile, so they must hold the block's exact bytes and stay put.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { Labels } from '../../src/labels.ts';
import { BlockWriter, type CompletedSegment } from '../../src/tsdb/block-writer.ts';
import { tempDir } from '../helpers/tmp.ts';
import { BLOCK_START, TWO_HOURS, xorChunks } from '../helpers/tsdb-fixtures.ts';

const series = (i: number): [Labels, ReturnType<typeof xorChunks>] => [
  [
    ['__name__', 'm'],
    ['i', String(i).padStart(4, '0')],
  ],
  xorChunks(Array.from({ length: 240 }, (_, k) => ({ t: BLOCK_START + k * 15_000, v: i * 1000 + k }))),
];

const first200 = Array.from({ length: 200 }, (_, i) => i);

/** A writer holding `series(i)` for each of `ids`. */
async function open(
  t: { teardown(fn: () => unknown): void },
  ids: readonly number[],
): Promise<{ w: BlockWriter; dir: string }> {
  const dir = await tempDir(t);
  // Small segments, so the block has several.
  const w = await BlockWriter.open({
    parentDir: dir,
    minTime: BLOCK_START,
    maxTime: BLOCK_START + TWO_HOURS,
    thanosLabels: { c: '1' },
    segmentMaxBytes: 16 * 1024,
  });
  for (const i of ids) await w.addSeries(...series(i));
  return { w, dir };
}

t.test('the segments handed out are the block’s final chunk files, and the block waits for the work', async (t) => {
  const { w, dir } = await open(t, first200);
  const seen: { segment: CompletedSegment; bytes: Buffer }[] = [];
  let blockDirsDuringWork: string[] = [];
  const block = await w.finish({
    whileIndexing: async (segments, signal) => {
      t.equal(signal.aborted, false, 'the signal is live');
      for (const segment of segments) seen.push({ segment, bytes: await readFile(segment.path) });
      // Slower than the index build of 200 series: the block must still not have moved.
      await new Promise((r) => setTimeout(r, 300));
      blockDirsDuringWork = await readdir(dir);
    },
  });
  t.ok(block, 'a block');
  t.same(blockDirsDuringWork, [`${w.ulid}.tmp`], 'the block stays in its temporary directory until the work ends');
  const chunkFiles = block!.files.filter((f) => f.relPath.startsWith('chunks/'));
  t.ok(chunkFiles.length > 1, `several segments (${chunkFiles.length})`);
  t.same(
    seen.map(({ segment }) => [segment.relPath, segment.sizeBytes]),
    chunkFiles.map((f) => [f.relPath, f.sizeBytes]),
    'every segment, in order, with its size',
  );
  for (const { segment, bytes } of seen) {
    const final = await readFile(join(block!.dir, ...segment.relPath.split('/')));
    t.ok(final.equals(bytes), `${segment.relPath}: the bytes read during the work are the block's`);
    t.equal(bytes.length, segment.sizeBytes);
  }
});

t.test('a failure of the work fails finish with its error and leaves no block', async (t) => {
  const { w, dir } = await open(t, first200);
  const boom = new Error('upload refused');
  await t.rejects(
    w.finish({
      whileIndexing: async () => {
        throw boom;
      },
    }),
    boom,
  );
  t.same(await readdir(dir), [], 'nothing left on disk');
});

t.test('an index that cannot be built stops the work, waits for it, and fails finish', async (t) => {
  // The same label set twice: found only when the index is built.
  const { w, dir } = await open(t, [1, 1]);
  let stopped = false;
  let settled = false;
  await t.rejects(
    w.finish({
      whileIndexing: async (_segments, signal) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        stopped = true;
        await new Promise((r) => setTimeout(r, 50));
        settled = true;
      },
    }),
    { code: 'PROMSHIP_TSDB_DUPLICATE_SERIES' },
  );
  t.ok(stopped, 'the work was told to stop');
  t.ok(settled, 'finish returned only after the work ended');
  t.same(await readdir(dir), [], 'nothing left on disk');
});
