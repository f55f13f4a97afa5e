/**
 * A GET whose body is cut on the way (headers in, then the connection dies) is sent again: the
 * AWS SDK retries only until the headers arrive, so without this one reset mid-body failed a
 * whole run (seen when s3rver served a ledger under another agent's PUT). Real s3rver behind a
 * proxy that cuts chosen answers; the bytes are compared with what was stored, and the GETs that
 * reached the store are counted at the proxy.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import t, { type Test } from 'tap';
import { S3Bucket } from '../../src/bucket/s3-bucket.ts';
import { startChaosProxy } from '../helpers/chaos-proxy.ts';
import { plainClient, startS3rver } from '../helpers/s3.ts';
import { tempDir } from '../helpers/tmp.ts';

const s3 = await startS3rver(t);
const dir = await tempDir(t);
const stored = randomBytes(300 * 1024);
const Key = 'cut/ledger.json';
await plainClient(t, s3).send(new PutObjectCommand({ Bucket: s3.bucket, Key, Body: stored }));

/** A bucket through a proxy that cuts the body of the first `cuts` GETs of the object. */
async function bucketCutting(t: Test, cuts: number, maxAttempts?: number) {
  let seen = 0;
  const proxy = await startChaosProxy(t, {
    upstream: s3.endpoint,
    dialect: 's3',
    rate: 1,
    seed: 7,
    kinds: ['truncate'],
    eligible: ({ method, path }) => method === 'GET' && path.includes(Key) && ++seen <= cuts,
  });
  const bucket = new S3Bucket({
    bucket: s3.bucket,
    endpoint: proxy.url,
    forcePathStyle: true,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
  });
  return { proxy, bucket, gets: () => seen };
}

void t.test('get: one cut body, then the whole object', async (t) => {
  const { proxy, bucket, gets } = await bucketCutting(t, 1);
  const got = await bucket.get(Key);
  t.ok(got !== null && Buffer.from(got).equals(stored), 'the bytes stored, in full');
  t.equal(proxy.stats.byKind.truncate, 1, 'one answer was cut');
  t.equal(gets(), 2, 'and the GET sent once more');
});

void t.test('download: two cut bodies, then the whole object in the file', async (t) => {
  const { proxy, bucket, gets } = await bucketCutting(t, 2);
  const file = join(dir, 'download');
  t.equal(await bucket.download(Key, file), true);
  t.ok((await readFile(file)).equals(stored), 'the file holds the bytes stored, nothing of the cut tries');
  t.equal(proxy.stats.byKind.truncate, 2, 'two answers were cut');
  t.equal(gets(), 3, 'three GETs in all');
});

void t.test('every body cut: the read fails after the configured attempts, with a code', async (t) => {
  const { bucket, gets } = await bucketCutting(t, Infinity, 2);
  await t.rejects(bucket.get(Key), { code: 'PROMSHIP_BUCKET_UNREACHABLE' });
  t.equal(gets(), 2, 'PROMSHIP_S3_MAX_ATTEMPTS=2: two GETs, no more');
});

void t.test('a missing object is still null, asked once', async (t) => {
  const { proxy, bucket } = await bucketCutting(t, Infinity);
  t.equal(await bucket.get('cut/none.json'), null);
  t.equal(proxy.stats.byOperation.GET?.requests, 1, 'one GET: a 404 is not a cut body');
});

void t.test('download into a file that cannot be written: a local error, one GET', async (t) => {
  const { proxy, bucket } = await bucketCutting(t, 0);
  await t.rejects(bucket.download(Key, join(dir, 'no-such-dir', 'file')), { code: 'PROMSHIP_BUCKET_LOCAL_FILE' });
  t.equal(proxy.stats.byOperation.GET?.requests, 1, 'not sent again: the store was not at fault');
});
