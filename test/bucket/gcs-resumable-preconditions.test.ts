/**
 * What the firebase-tools GCS emulator does not do, against the node:http stub of the JSON API
 * (test/helpers/gcs-stub.ts): `ifGenerationMatch: 0` answered with 412 (putIfAbsent is false and
 * leaves the first object), and a resumable upload cut mid-body (503 after part of the bytes),
 * which the SDK resumes from the offset the store confirms (308 + Range) without sending the
 * whole file again. A resumable upload that never completes leaves no object at all.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { GcsBucket } from '../../src/bucket/gcs-bucket.ts';
import { BucketError } from '../../src/errors.ts';
import { startGcsStub, withTimeout } from '../helpers/gcs-stub.ts';
import { tempDir } from '../helpers/tmp.ts';

// Each subtest has its own stub and directory; they wait on timeouts together.
t.jobs = 4;

const MiB = 1024 * 1024;

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

t.test('putIfAbsent: 412 on an existing object is false and keeps the first object', async (t) => {
  const stub = await startGcsStub(t);
  const b = new GcsBucket({ bucket: 'b', prefix: 'p', apiEndpoint: stub.endpoint, maxAttempts: 1 });
  t.equal(await withTimeout(b.putIfAbsent('lock.json', 'first'), 30_000, 'putIfAbsent'), true);
  t.equal(await withTimeout(b.putIfAbsent('lock.json', 'second'), 30_000, 'putIfAbsent'), false);
  t.equal(stub.objects.get('p/lock.json')?.data.toString(), 'first');
  t.ok(
    stub.requests.some((r) => r.includes('ifGenerationMatch=0')),
    'the precondition was sent',
  );
});

t.test(
  'with chunk_size_bytes, a resumable upload cut mid-chunk resumes from the offset the store confirms (308)',
  async (t) => {
    const stub = await startGcsStub(t);
    const dir = await tempDir(t);
    const data = randomBytes(3 * MiB + 17);
    const file = join(dir, '000001');
    await writeFile(file, data);
    const b = new GcsBucket({
      bucket: 'b',
      apiEndpoint: stub.endpoint,
      maxAttempts: 4,
      resumableThresholdBytes: MiB,
      chunkSizeBytes: MiB,
    });
    stub.failResumablePuts(1, 300 * 1024);
    await withTimeout(b.uploadFile('01X/chunks/000001', file), 60_000, 'uploadFile');
    const stored = stub.objects.get('01X/chunks/000001');
    t.equal(stored?.data.byteLength, data.byteLength);
    t.equal(sha256(stored?.data ?? new Uint8Array(0)), sha256(data), 'the stored bytes are the file');
    t.equal(
      stub.requests.filter((r) => r.startsWith('POST') && r.includes('uploadType=resumable')).length,
      1,
      'one session, resumed',
    );
    t.ok(stub.responses.includes(308), 'the store confirmed offsets with 308');
  },
);

t.test('without chunks, a resumable upload cut mid-body is sent again whole in a new session', async (t) => {
  const stub = await startGcsStub(t);
  const dir = await tempDir(t);
  const data = randomBytes(3 * MiB + 17);
  const file = join(dir, '000001');
  await writeFile(file, data);
  const b = new GcsBucket({ bucket: 'b', apiEndpoint: stub.endpoint, maxAttempts: 4, resumableThresholdBytes: MiB });
  stub.failResumablePuts(1, MiB);
  await withTimeout(b.uploadFile('01X/chunks/000001', file), 60_000, 'uploadFile');
  t.equal(
    sha256(stub.objects.get('01X/chunks/000001')?.data ?? new Uint8Array(0)),
    sha256(data),
    'the stored bytes are the file',
  );
  t.equal(
    stub.requests.filter((r) => r.startsWith('POST') && r.includes('uploadType=resumable')).length,
    2,
    'a second session',
  );
});

t.test('a resumable upload that never completes leaves no object and fails with a stable code', async (t) => {
  const stub = await startGcsStub(t);
  const dir = await tempDir(t);
  const file = join(dir, '000001');
  await writeFile(file, randomBytes(2 * MiB));
  const b = new GcsBucket({ bucket: 'b', apiEndpoint: stub.endpoint, maxAttempts: 2, resumableThresholdBytes: MiB });
  stub.failResumablePuts(100, 4096);
  const err = await withTimeout(
    b.uploadFile('01X/chunks/000001', file).then(
      () => undefined,
      (e: unknown) => e,
    ),
    120_000,
    'uploadFile',
  );
  t.ok(err instanceof BucketError, `a BucketError (${String(err)})`);
  t.match((err as BucketError).code, /^PROMSHIP_BUCKET_/);
  t.equal(stub.objects.size, 0, 'nothing half-written is visible');
  t.same(await b.listObjects(''), []);
});
