/**
 * A window's chunk segments go to the bucket while its index is still being built. That must
 * not change what a failure leaves behind: an upload that fails fails the window as an upload,
 * and a build that fails after the segments went up leaves no object of it in the bucket, also
 * when the window is read again in the same run under the same ULID.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { Bucket } from '../../src/bucket/bucket.ts';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { BucketError } from '../../src/errors.ts';
import type { Labels } from '../../src/labels.ts';
import type { SeriesChunks } from '../../src/series.ts';
import { shipWindow, WindowError, type SeriesSource, type ShipContext } from '../../src/shipper/ship-window.ts';
import { openBlock } from '../../src/tsdb/block-reader.ts';
import { tempDir } from '../helpers/tmp.ts';
import { BLOCK_START, TWO_HOURS, xorChunks } from '../helpers/tsdb-fixtures.ts';

const ULID = '01HZZZZZZZZZZZZZZZZZZZZZZZ';
const window = { start: BLOCK_START, end: BLOCK_START + TWO_HOURS };

function seriesOf(labels: Labels, base: number): SeriesChunks {
  return {
    labels,
    chunks: xorChunks(Array.from({ length: 240 }, (_, k) => ({ t: BLOCK_START + k * 15_000, v: base + k }))),
  };
}

const plain = (n: number): SeriesChunks[] =>
  Array.from({ length: n }, (_, i) =>
    seriesOf(
      [
        ['__name__', 'm'],
        ['cluster_id', 'c1'],
        ['i', String(i).padStart(5, '0')],
      ],
      i * 1000,
    ),
  );

/** Counts reads; each read yields `series` again. */
function sourceOf(series: SeriesChunks[]): SeriesSource & { reads: number } {
  const source = {
    reads: 0,
    async *read() {
      source.reads++;
      yield* series;
    },
  };
  return source;
}

/** A file bucket that notes every call, and lets a test fail or watch chosen ones. */
function watchedBucket(
  dir: string,
  hooks: { onUpload?: (key: string) => void | Promise<void>; onDelete?: (key: string) => void | Promise<void> } = {},
): { bucket: Bucket; files: FileBucket; calls: string[] } {
  const files = new FileBucket(dir);
  const calls: string[] = [];
  const bucket = Object.assign(Object.create(files) as Bucket, {
    async uploadFile(key: string, path: string, opts?: { signal?: AbortSignal }) {
      calls.push(`upload ${key}`);
      await hooks.onUpload?.(key);
      opts?.signal?.throwIfAborted();
      return files.uploadFile(key, path);
    },
    async delete(key: string, opts?: { signal?: AbortSignal }) {
      calls.push(`delete ${key}`);
      await hooks.onDelete?.(key);
      opts?.signal?.throwIfAborted();
      return files.delete(key);
    },
  });
  return { bucket, files, calls };
}

function context(dir: string, bucket: Bucket, source: SeriesSource): ShipContext {
  return {
    source,
    bucket,
    blocksDir: join(dir, 'blocks'),
    thanosLabels: { cluster_id: 'c1' },
    stripLabels: [['cluster_id', 'c1']],
    ulid: ULID,
  };
}

const keysIn = async (files: FileBucket): Promise<string[]> =>
  (await files.listObjects(`${ULID}/`)).map((o) => o.key).sort();

t.test('the chunk segment is uploaded before the block is finished, and the block is whole', async (t) => {
  const dir = await tempDir(t);
  const unfinishedAtUpload: boolean[] = [];
  const { bucket, files, calls } = watchedBucket(join(dir, 'bucket'), {
    onUpload: (key) => {
      if (key.includes('/chunks/')) unfinishedAtUpload.push(existsSync(join(dir, 'blocks', `${ULID}.tmp`)));
    },
  });
  const shipped = await shipWindow(context(dir, bucket, sourceOf(plain(500))), window);
  t.equal(shipped?.series, 500);
  t.same(unfinishedAtUpload, [true], 'the one segment went up while the block was still being built');
  t.same(
    calls.filter((c) => c.startsWith('upload')),
    [`upload ${ULID}/chunks/000001`, `upload ${ULID}/index`, `upload ${ULID}/meta.json`],
    'each file once, meta.json last',
  );
  t.same(await keysIn(files), [`${ULID}/chunks/000001`, `${ULID}/index`, `${ULID}/meta.json`]);
  // A file bucket keeps each object at its key: the block reader checks every CRC, the index
  // against the chunks, and meta.json against both.
  const block = await openBlock(join(dir, 'bucket', ULID));
  t.teardown(() => block.close());
  const report = await block.verify();
  t.same(
    [report.numSeries, report.numSamples, report.unreferencedChunks],
    [500, 500 * 240, 0],
    'the shipped block verifies',
  );
  t.same(await readdir(join(dir, 'blocks')), [], 'the local block is gone');
});

t.test('a segment upload that fails fails the window as an upload, with nothing published', async (t) => {
  const dir = await tempDir(t);
  const { bucket, files } = watchedBucket(join(dir, 'bucket'), {
    onUpload: (key) => {
      if (key.includes('/chunks/'))
        throw new BucketError('PROMSHIP_BUCKET_UNREACHABLE', `connection reset uploading ${key}`, { key });
    },
  });
  const err = await shipWindow(context(dir, bucket, sourceOf(plain(50))), window).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof WindowError, 'a WindowError');
  t.equal((err as WindowError).stage, 'upload');
  t.equal((err as WindowError).code, 'PROMSHIP_BUCKET_UNREACHABLE');
  t.equal(await files.stat(`${ULID}/meta.json`), null, 'no meta.json');
  t.same(await readdir(join(dir, 'blocks')), [], 'the local block is gone');
});

// Two series that become one when the external label is stripped: the first pass fails when the
// index is built, after its segment went up; the window is read again, keeping the label on one.
const twins = (): SeriesChunks[] => {
  const labels: Labels = [
    ['__name__', 'm'],
    ['cluster_id', 'c1'],
    ['job', 'a'],
  ];
  return [seriesOf(labels, 0), seriesOf(labels, 5000)];
};

t.test('a build that fails after its segment went up removes it before the window is read again', async (t) => {
  const dir = await tempDir(t);
  const { bucket, files, calls } = watchedBucket(join(dir, 'bucket'));
  const series = twins();
  const atSecondRead: string[][] = [];
  const source: SeriesSource & { reads: number } = {
    reads: 0,
    async *read() {
      source.reads++;
      if (source.reads === 2) atSecondRead.push(await keysIn(files));
      yield* series;
    },
  };
  const shipped = await shipWindow(context(dir, bucket, source), window);
  t.equal(shipped?.series, 2, 'both twins shipped');
  t.equal(shipped?.seriesKeepingExternalLabels, 1);
  t.equal(source.reads, 2, 'read twice');
  t.ok(calls.includes(`delete ${ULID}/chunks/000001`), "the first pass's segment was deleted");
  t.same(atSecondRead, [[]], 'the bucket held nothing of the block when the window was read again');
  t.same(await keysIn(files), [`${ULID}/chunks/000001`, `${ULID}/index`, `${ULID}/meta.json`]);
});

t.test('when that segment cannot be removed, the window fails with its cause and is not read again', async (t) => {
  const dir = await tempDir(t);
  const { bucket, files } = watchedBucket(join(dir, 'bucket'), {
    onDelete: (key) => {
      throw new BucketError('PROMSHIP_BUCKET_UNREACHABLE', `connection reset deleting ${key}`, { key });
    },
  });
  const source = sourceOf(twins());
  const err = await shipWindow(context(dir, bucket, source), window).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof WindowError, 'a WindowError');
  const we = err as WindowError;
  t.equal(we.stage, 'build');
  t.equal(we.code, 'PROMSHIP_TSDB_DUPLICATE_SERIES', 'the cause is kept');
  t.ok(we.objectsLeft);
  t.match(we.message, /could not be removed: connection reset deleting .*chunks\/000001.*partial upload/);
  t.equal(source.reads, 1, 'not read again while the old segment may still be there');
  t.equal(await files.stat(`${ULID}/meta.json`), null, 'no meta.json');
});
