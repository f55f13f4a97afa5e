/**
 * GcsBucket against the firebase-tools storage emulator's GCS JSON API (its own process, loopback,
 * free port): the shared bucket contract, and what was stored judged through a plain SDK client.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import t from 'tap';
import { GcsBucket, type GcsBucketOptions } from '../../src/bucket/gcs-bucket.ts';
import { BucketError } from '../../src/errors.ts';
import { bucketContract } from '../helpers/bucket-contract.ts';
import { startGcsEmulator } from '../helpers/gcs-emulator.ts';
import { withTimeout } from '../helpers/gcs-stub.ts';
import { tempDir } from '../helpers/tmp.ts';

const emu = await startGcsEmulator(t);
let prefixCounter = 0;
function bucketOn(extra: Partial<GcsBucketOptions> = {}): GcsBucket {
  return new GcsBucket({
    bucket: emu.bucket,
    prefix: `t${prefixCounter++}`,
    apiEndpoint: emu.endpoint,
    maxAttempts: 2,
    ...extra,
  });
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

t.test('contract on the GCS emulator', async (t) => {
  // Resumable uploads from 1 MiB on, so the large-file case goes through a resumable session.
  await bucketContract(t, async () => bucketOn({ resumableThresholdBytes: 1024 * 1024 }), { manyKeys: 1003 });
});

t.test('objects land at prefix/key with the bytes, size and crc32c a plain client reads', async (t) => {
  const b = bucketOn({ prefix: 'deep/er' });
  const data = randomBytes(12_345);
  await withTimeout(b.put('01ABC/index', data), 60_000, 'put');
  const file = emu.client().bucket(emu.bucket).file('deep/er/01ABC/index');
  const [back] = await file.download();
  t.equal(sha256(back), sha256(data));
  const [md] = await file.getMetadata();
  t.equal(Number(md.size), data.byteLength);
  t.ok(typeof md.crc32c === 'string' && typeof md.md5Hash === 'string', 'the store reports checksums');
  t.equal(md.md5Hash, createHash('md5').update(data).digest('base64'));
  t.same(await b.listChildren(''), ['01ABC/']);
});

t.test('the emulator ignores ifGenerationMatch: putIfAbsent overwrites there and says true', async (t) => {
  // As HELPERS.md specifies for stores that ignore the precondition; the 412 path is proven
  // against the stub in gcs-preconditions.test.ts.
  const b = bucketOn();
  t.equal(await b.putIfAbsent('lock', 'one'), true);
  t.equal(await b.putIfAbsent('lock', 'two'), true);
});

t.test('an unreachable endpoint fails with PROMSHIP_BUCKET_UNREACHABLE, not a hang', async (t) => {
  const b = new GcsBucket({ bucket: 'x', apiEndpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
  const err = await b.stat('a/meta.json').then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof BucketError);
  t.equal((err as BucketError).code, 'PROMSHIP_BUCKET_UNREACHABLE');
  t.match((err as BucketError).message, /gs:\/\/x/);
});

t.test('a download whose local file cannot be written fails with the local code, not as the store', async (t) => {
  const b = bucketOn();
  await b.put('x/local', 'bytes');
  const dir = await tempDir(t);
  const err: unknown = await b.download('x/local', join(dir, 'no-such-dir', 'file')).catch((e: unknown) => e);
  t.equal(err instanceof BucketError ? err.code : err, 'PROMSHIP_BUCKET_LOCAL_FILE');
});
