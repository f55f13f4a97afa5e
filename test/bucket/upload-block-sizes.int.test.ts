/**
 * A block is published (meta.json written) only when every other object of it holds exactly the
 * local file's bytes count: a store that keeps more or fewer bytes than it was sent must leave no
 * meta.json behind, so Thanos never reads the block and the window is shipped again later.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { Bucket } from '../../src/bucket/bucket.ts';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { S3Bucket } from '../../src/bucket/s3-bucket.ts';
import { uploadBlock, type LocalBlockFiles } from '../../src/bucket/upload-block.ts';
import { startGrowingS3Proxy } from '../helpers/growing-s3-proxy.ts';
import { startS3rver } from '../helpers/s3.ts';
import { tempDir } from '../helpers/tmp.ts';

const ULID = '01JD0000000000000000000000';
const META = JSON.stringify({ ulid: ULID, version: 1 });

async function localBlock(dir: string): Promise<LocalBlockFiles> {
  const blockDir = join(dir, ULID);
  await mkdir(join(blockDir, 'chunks'), { recursive: true });
  await writeFile(join(blockDir, 'chunks', '000001'), Buffer.alloc(1000, 1));
  await writeFile(join(blockDir, 'index'), Buffer.alloc(300, 2));
  await writeFile(join(blockDir, 'meta.json'), META);
  return {
    ulid: ULID,
    dir: blockDir,
    files: [
      { relPath: 'chunks/000001', sizeBytes: 1000 },
      { relPath: 'index', sizeBytes: 300 },
    ],
  };
}

t.test(
  'S3: a store that grows the chunk segment leaves no meta.json; an honest store then takes the block',
  async (t) => {
    const srv = await startS3rver(t);
    const proxy = await startGrowingS3Proxy(t, srv.endpoint, /\/chunks\//);
    const bucket = new S3Bucket({
      bucket: srv.bucket,
      endpoint: proxy.endpoint,
      forcePathStyle: true,
      region: srv.region,
      accessKeyId: srv.accessKeyId,
      secretAccessKey: srv.secretAccessKey,
      checksumMode: 'when-required',
    });
    t.teardown(() => bucket.close());
    const block = await localBlock(await tempDir(t));

    await t.rejects(uploadBlock(bucket, block), { code: 'PROMSHIP_BUCKET_SIZE_MISMATCH' });
    t.equal(await bucket.stat(`${ULID}/meta.json`), null, 'not published');
    t.equal(await bucket.stat(`${ULID}/chunks/000001`), null, 'the grown segment is gone');

    proxy.grow = null;
    const result = await uploadBlock(bucket, block);
    t.equal(result.objects, 3);
    t.same(
      (await bucket.listObjects(`${ULID}/`)).map((o) => [o.key, o.size]),
      [
        [`${ULID}/chunks/000001`, 1000],
        [`${ULID}/index`, 300],
        [`${ULID}/meta.json`, META.length],
      ],
    );
  },
);

t.test('any store: an object whose stored size differs from the file is caught before meta.json', async (t) => {
  // A store whose upload call cannot see what it kept (unlike S3Bucket, which checks itself):
  // here a file bucket that loses the tail of the index on its way in.
  const dir = await tempDir(t);
  const files = new FileBucket(join(dir, 'bucket'));
  const shortIndex = Object.assign(Object.create(files) as Bucket, {
    async uploadFile(key: string, path: string) {
      if (!key.endsWith('/index')) return files.uploadFile(key, path);
      await files.put(key, Buffer.alloc(299, 2));
    },
  });
  const err = await uploadBlock(shortIndex, await localBlock(dir)).then(
    () => null,
    (e: unknown) => e as { code?: string; message?: string },
  );
  t.equal(err?.code, 'PROMSHIP_BUCKET_VERIFY_SIZE');
  t.match(err?.message, `${ULID}/index has 299 bytes but the local file has 300`);
  t.equal(await files.stat(`${ULID}/meta.json`), null, 'not published');
});
