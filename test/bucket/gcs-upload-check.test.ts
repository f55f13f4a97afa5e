/**
 * What GcsBucket checks after a simple upload, against the node:http stub of the JSON API
 * (test/helpers/gcs-stub.ts): the insert's answer carries the stored object's size and CRC32C, so
 * an upload the store kept intact costs that one request, and one it kept short or altered fails
 * with the matching code and is deleted, so that no reader trusts it. An answer without them
 * leads to asking for the object's metadata, as before.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { GcsBucket } from '../../src/bucket/gcs-bucket.ts';
import { BucketError } from '../../src/errors.ts';
import { startGcsStub, withTimeout } from '../helpers/gcs-stub.ts';
import { DAMAGES, damagedUploadErrors } from '../helpers/damaged-uploads.ts';
import { tempDir } from '../helpers/tmp.ts';

const bucketOn = (endpoint: string): GcsBucket =>
  new GcsBucket({ bucket: 'b', prefix: 'p', apiEndpoint: endpoint, maxAttempts: 1 });

t.test('an intact upload is one request: put, putIfAbsent and uploadFile', async (t) => {
  const stub = await startGcsStub(t);
  const dir = await tempDir(t);
  const b = bucketOn(stub.endpoint);
  const file = join(dir, 'index');
  await writeFile(file, randomBytes(10_000));
  await withTimeout(b.put('ledger.json', '{"version":1}'), 30_000, 'put');
  await withTimeout(b.putIfAbsent('claims/1.json', '{}'), 30_000, 'putIfAbsent');
  await withTimeout(b.uploadFile('01X/index', file), 30_000, 'uploadFile');
  t.same(
    stub.requests.map((r) => r.split(' ')[0]),
    ['POST', 'POST', 'POST'],
    `three uploads, three requests: ${stub.requests.join(', ')}`,
  );
  t.equal(stub.objects.get('p/01X/index')?.data.byteLength, 10_000);
});

for (const [what, alter, code] of DAMAGES) {
  t.test(`an upload the store ${what} fails with ${code} and is deleted`, async (t) => {
    const stub = await startGcsStub(t);
    const errors = await damagedUploadErrors(
      bucketOn(stub.endpoint),
      await tempDir(t),
      () => stub.alterNextUpload(alter),
      (call, name) => withTimeout(call, 30_000, name),
    );
    for (const [name, err] of errors) t.ok(err instanceof BucketError && err.code === code, `${name}: ${String(err)}`);
    t.same([...stub.objects.keys()], [], 'no damaged object is left');
  });
}

t.test('an answer without size and CRC32C leads to the metadata request, which catches a damaged object', async (t) => {
  const stub = await startGcsStub(t);
  const b = bucketOn(stub.endpoint);
  stub.bareNextAnswer();
  await withTimeout(b.put('ledger.json', '{"version":1}'), 30_000, 'put');
  t.same(
    stub.requests.map((r) => r.split(' ')[0]),
    ['POST', 'GET'],
    'the upload, then its metadata',
  );
  stub.bareNextAnswer();
  stub.alterNextUpload((d) => d.subarray(1));
  const err = await withTimeout<unknown>(b.put('ledger.json', 'x'.repeat(100)), 30_000, 'put').then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof BucketError && err.code === 'PROMSHIP_BUCKET_SIZE_MISMATCH', String(err));
  t.same([...stub.objects.keys()], [], 'and the damaged object is deleted');
});
