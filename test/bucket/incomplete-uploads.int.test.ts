/**
 * A killed run (OOM, SIGKILL) or a store outage mid-upload leaves a started multipart upload:
 * invisible to object listings, its parts stored and billed until aborted. Resuming the block's
 * ULID must abort those under the block's prefix, and only those.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateMultipartUploadCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import t from 'tap';
import { S3Bucket } from '../../src/bucket/s3-bucket.ts';
import { clearPartialBlock } from '../../src/bucket/upload-block.ts';
import { startS3rver } from '../helpers/s3.ts';
import { startFauxqsWithUploadListing } from '../helpers/s3-upload-listing.ts';
import { tempDir } from '../helpers/tmp.ts';

const ULID = '01JABCDEFGHJKMNPQRSTVWXYZ0';
const OTHER = '01JABCDEFGHJKMNPQRSTVWXYZ1';

interface Srv {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

function raw(t: { teardown(fn: () => unknown): void }, srv: Srv): S3Client {
  const c = new S3Client({
    endpoint: srv.endpoint,
    region: srv.region,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: srv.accessKeyId, secretAccessKey: srv.secretAccessKey },
  });
  t.teardown(() => c.destroy());
  return c;
}

/** What a process killed after its first part leaves in the store. */
async function startedUpload(c: S3Client, bucket: string, key: string): Promise<void> {
  const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  await c.send(
    new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: Buffer.alloc(1024, 7) }),
  );
}

function bucketOn(srv: Srv, prefix: string): S3Bucket {
  return new S3Bucket({
    bucket: srv.bucket,
    prefix,
    endpoint: srv.endpoint,
    region: srv.region,
    forcePathStyle: true,
    accessKeyId: srv.accessKeyId,
    secretAccessKey: srv.secretAccessKey,
    checksumMode: 'when-required',
    partSizeBytes: 5 * 1024 * 1024,
    maxAttempts: 1,
  });
}

t.test(
  'fauxqs: resuming a ULID aborts its unfinished multipart uploads, over several pages, and no others',
  async (t) => {
    const srv = await startFauxqsWithUploadListing(t);
    const c = raw(t, srv);
    for (let i = 1; i <= 5; i++) await startedUpload(c, srv.bucket, `tenant/${ULID}/chunks/00000${i}`);
    await startedUpload(c, srv.bucket, `tenant/${OTHER}/chunks/000001`);
    await startedUpload(c, srv.bucket, `elsewhere/${ULID}/chunks/000001`);
    await c.send(new PutObjectCommand({ Bucket: srv.bucket, Key: `tenant/${ULID}/index`, Body: 'partial' }));
    const b = bucketOn(srv, 'tenant');
    t.teardown(() => b.close());

    t.same(
      await clearPartialBlock(b, ULID),
      { objects: 1, incompleteUploads: 5 },
      'five aborted uploads and one removed object',
    );
    t.same(
      srv
        .openUploads()
        .map((u) => u.key)
        .sort(),
      [`elsewhere/${ULID}/chunks/000001`, `tenant/${OTHER}/chunks/000001`],
      'only the uploads of other blocks and other prefixes are left',
    );
    t.ok(srv.listings >= 3, `the listing was paged (${srv.listings} pages of at most ${srv.pageSize})`);
    t.same(await b.listObjects(`${ULID}/`), []);

    // The resumed upload then works, and a second clean-up finds nothing.
    const dir = await tempDir(t);
    await writeFile(join(dir, 'seg'), Buffer.alloc(6 * 1024 * 1024, 3));
    await b.uploadFile(`${ULID}/chunks/000001`, join(dir, 'seg'));
    t.equal((await b.stat(`${ULID}/chunks/000001`))?.size, 6 * 1024 * 1024);
    t.same(
      srv.openUploads().filter((u) => u.key.startsWith(`tenant/${ULID}/`)),
      [],
      'the finished upload leaves nothing open',
    );
    await b.delete(`${ULID}/chunks/000001`);
    t.same(await clearPartialBlock(b, ULID), { objects: 0, incompleteUploads: 0 });
  },
);

t.test('s3rver: a store without ListMultipartUploads still gets its partial objects removed', async (t) => {
  // s3rver answers NotImplemented to ListMultipartUploads, as some S3-compatible stores do (and
  // AWS answers AccessDenied to credentials without s3:ListBucketMultipartUploads): resuming must
  // still work; the lifecycle rule the README recommends cleans such uploads there.
  const srv = await startS3rver(t);
  const c = raw(t, srv);
  await c.send(new PutObjectCommand({ Bucket: srv.bucket, Key: `p/${ULID}/index`, Body: 'partial' }));
  const b = bucketOn(srv, 'p');
  t.teardown(() => b.close());
  t.same(await clearPartialBlock(b, ULID), { objects: 1, incompleteUploads: 0 });
  t.same(await b.listObjects(`${ULID}/`), []);
});
