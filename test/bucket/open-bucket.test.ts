/** openBucket picks the store from the configuration; the S3 client is loaded only for S3. */
import t from 'tap';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { openBucket } from '../../src/bucket/open-bucket.ts';
import { S3Bucket } from '../../src/bucket/s3-bucket.ts';
import { tempDir } from '../helpers/tmp.ts';

const s3Settings = { objstoreConfigFile: undefined, s3Endpoint: undefined, s3Sse: 'none', s3SseKmsKeyId: undefined, s3ForcePathStyle: true, s3ChecksumMode: 'when-required', s3RequestTimeout: 1000, s3MaxAttempts: 1, s3Region: 'eu-west-1' } as const;

t.test('a file:// bucket is a FileBucket', async (t) => {
  const dir = await tempDir(t);
  const { bucket } = await openBucket({ ...s3Settings, bucket: { kind: 'file', dir } }, {});
  t.ok(bucket instanceof FileBucket);
  t.equal(bucket.description, `file://${dir}`);
});

t.test('an s3:// bucket is an S3Bucket, loaded on demand', async (t) => {
  const { bucket } = await openBucket({ ...s3Settings, bucket: { kind: 's3', bucket: 'blocks', prefix: 'promship' } }, {});
  t.teardown(() => bucket.close());
  t.ok(bucket instanceof S3Bucket);
  t.match(bucket.description, /^s3:\/\/blocks\/promship/);
});
