/**
 * `meta.json` is uploaded last, and its answer can be lost after the store acted (a reset, a
 * timeout). Then the block is published: uploadBlock must report it shipped, not failed, but only
 * when the stored meta.json is byte for byte the one sent.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { Bucket } from '../../src/bucket/bucket.ts';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { uploadBlock, type LocalBlockFiles } from '../../src/bucket/upload-block.ts';
import { BucketError } from '../../src/errors.ts';
import { tempDir } from '../helpers/tmp.ts';

const ULID = '01JD0000000000000000000000';

async function localBlock(dir: string): Promise<LocalBlockFiles> {
  const blockDir = join(dir, ULID);
  await mkdir(join(blockDir, 'chunks'), { recursive: true });
  await writeFile(join(blockDir, 'chunks', '000001'), Buffer.alloc(1000, 1));
  await writeFile(join(blockDir, 'index'), Buffer.alloc(300, 2));
  await writeFile(join(blockDir, 'meta.json'), JSON.stringify({ ulid: ULID, version: 1 }));
  return {
    ulid: ULID,
    dir: blockDir,
    files: [
      { relPath: 'chunks/000001', sizeBytes: 1000 },
      { relPath: 'index', sizeBytes: 300 },
    ],
  };
}

/** A file bucket whose meta.json PUT fails after doing `act` (which may store something or not). */
function losingMetaAnswer(files: FileBucket, act: (key: string, path: string) => Promise<void>): Bucket {
  return Object.assign(Object.create(files) as Bucket, {
    async uploadFile(key: string, path: string) {
      if (!key.endsWith('meta.json')) return files.uploadFile(key, path);
      await act(key, path);
      throw new BucketError('PROMSHIP_BUCKET_UNREACHABLE', `connection reset uploading ${key}`, { key });
    },
  });
}

t.test('meta.json stored but its answer lost: the block is shipped', async (t) => {
  const dir = await tempDir(t);
  const files = new FileBucket(join(dir, 'bucket'));
  const bucket = losingMetaAnswer(files, (key, path) => files.uploadFile(key, path));
  const result = await uploadBlock(bucket, await localBlock(dir));
  t.equal(result.objects, 3);
  t.ok(await files.stat(`${ULID}/meta.json`), 'meta.json is in the bucket');
});

t.test('meta.json not stored: the original error, nothing published', async (t) => {
  const dir = await tempDir(t);
  const files = new FileBucket(join(dir, 'bucket'));
  const bucket = losingMetaAnswer(files, async () => {});
  await t.rejects(uploadBlock(bucket, await localBlock(dir)), { code: 'PROMSHIP_BUCKET_UNREACHABLE' });
  t.equal(await files.stat(`${ULID}/meta.json`), null);
});

t.test('a different meta.json under the key: the original error', async (t) => {
  const dir = await tempDir(t);
  const files = new FileBucket(join(dir, 'bucket'));
  const bucket = losingMetaAnswer(files, (key) =>
    files.put(key, JSON.stringify({ ulid: ULID, version: 1, torn: true })),
  );
  await t.rejects(uploadBlock(bucket, await localBlock(dir)), { code: 'PROMSHIP_BUCKET_UNREACHABLE' });
});
