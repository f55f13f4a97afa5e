/**
 * When the data dir cannot even hold a new block directory (full, read-only, or not a directory),
 * the window fails as a build failure with the tsdb write code, and nothing reaches the bucket:
 * the ledger and the health line then say "building the block", not "uploading".
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { shipWindow, WindowError, type SeriesSource } from '../../src/shipper/ship-window.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('a block directory that cannot be created fails the window while building', async (t) => {
  const dir = await tempDir(t);
  // A regular file where the data dir's `blocks` directory should be: mkdir fails (ENOTDIR).
  await writeFile(join(dir, 'data'), 'not a directory');
  let reads = 0;
  const source: SeriesSource = {
    async *read() {
      reads++;
      yield* [];
    },
  };
  const bucketDir = join(dir, 'bucket');
  const err = await shipWindow(
    {
      source,
      bucket: new FileBucket(bucketDir),
      blocksDir: join(dir, 'data', 'blocks'),
      thanosLabels: { cluster_id: 'c' },
      stripLabels: [],
      ulid: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
    },
    { start: 0, end: 900_000 },
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof WindowError, 'a WindowError');
  const we = err as WindowError;
  t.equal(we.stage, 'build');
  t.equal(we.code, 'PROMSHIP_TSDB_WRITE');
  t.match(we.message, /failed while building the block: could not create/);
  t.equal(reads, 0, 'Prometheus was not asked for a window that cannot be built');
  t.same(await readdir(bucketDir).catch(() => []), [], 'nothing reached the bucket');
});
