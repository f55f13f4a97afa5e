/** openBucket picks the store from the configuration; the S3 client is loaded only for S3. */
import { writeFile } from 'node:fs/promises';
import t from 'tap';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { openBucket } from '../../src/bucket/open-bucket.ts';
import { S3Bucket } from '../../src/bucket/s3-bucket.ts';
import { tempDir } from '../helpers/tmp.ts';

const s3Settings = {
  objstoreConfigFile: undefined,
  s3Endpoint: undefined,
  s3Sse: 'none',
  s3SseKmsKeyId: undefined,
  s3ForcePathStyle: true,
  s3ChecksumMode: 'when-required',
  s3RequestTimeout: 1000,
  s3MaxAttempts: 1,
  s3Region: 'eu-west-1',
} as const;

t.test('a file:// bucket is a FileBucket', async (t) => {
  const dir = await tempDir(t);
  const { bucket } = await openBucket({ ...s3Settings, bucket: { kind: 'file', dir } }, {});
  t.ok(bucket instanceof FileBucket);
  t.equal(bucket.description, `file://${dir}`);
});

t.test('an s3:// bucket is an S3Bucket, loaded on demand', async (t) => {
  const { bucket } = await openBucket(
    { ...s3Settings, bucket: { kind: 's3', bucket: 'blocks', prefix: 'promship' } },
    {},
  );
  t.teardown(() => bucket.close());
  t.ok(bucket instanceof S3Bucket);
  t.match(bucket.description, /^s3:\/\/blocks\/promship/);
});

t.test('PROMSHIP_S3_ENDPOINT naming an AWS region is signed for it, before AWS_REGION', async (t) => {
  const regionOf = async (extra: object, env: NodeJS.ProcessEnv): Promise<string> => {
    const { bucket } = await openBucket(
      { ...s3Settings, s3Region: undefined, bucket: { kind: 's3', bucket: 'blocks', prefix: '' }, ...extra },
      env,
    );
    t.teardown(() => bucket.close());
    if (!(bucket instanceof S3Bucket)) throw new Error('openBucket did not give an S3Bucket');
    return bucket['client'].config.region();
  };
  const endpoint = 'https://s3.dualstack.eu-west-1.amazonaws.com';
  t.equal(await regionOf({ s3Endpoint: endpoint }, {}), 'eu-west-1');
  t.equal(
    await regionOf({ s3Endpoint: endpoint }, { AWS_REGION: 'us-west-2' }),
    'eu-west-1',
    'the endpoint beats the ambient AWS_REGION',
  );
  t.equal(
    await regionOf({ s3Endpoint: endpoint, s3Region: 'eu-central-1' }, {}),
    'eu-central-1',
    'PROMSHIP_S3_REGION wins',
  );
  // AWS_REGION is the AWS region the pod runs in; a non-AWS store keeps us-east-1, as Thanos signs for it.
  t.equal(
    await regionOf({ s3Endpoint: 'https://minio.example:9000' }, { AWS_REGION: 'us-west-2' }),
    'us-east-1',
    'no AWS host: us-east-1',
  );
  t.equal(await regionOf({}, { AWS_REGION: 'us-west-2' }), 'us-west-2', 'AWS S3 by region: AWS_REGION');
});

t.test('with an objstore YAML, PROMSHIP_S3_* settings the YAML does not set still apply', async (t) => {
  const dir = await tempDir(t);
  const open = async (yaml: string, extra: object = {}) => {
    const file = `${dir}/os-${Math.random().toString(36).slice(2)}.yaml`;
    await writeFile(file, yaml);
    const opened = await openBucket({ ...s3Settings, bucket: undefined, objstoreConfigFile: file, ...extra }, {});
    t.teardown(() => opened.bucket.close());
    if (!(opened.bucket instanceof S3Bucket)) throw new Error('openBucket did not give an S3Bucket');
    const cfg = opened.bucket['client'].config;
    return {
      warnings: opened.warnings,
      region: await cfg.region(),
      maxAttempts: await cfg.maxAttempts(),
      checksum: await cfg.requestChecksumCalculation(),
    };
  };
  const aws = 'type: S3\nconfig:\n  bucket: b\n  endpoint: s3.amazonaws.com\n';
  // Checksum mode has no YAML setting; attempts and region are not set in this YAML.
  const plain = await open(aws, {
    s3MaxAttempts: 7,
    s3ChecksumMode: 'when-required',
    s3Region: 'eu-west-1',
    s3ForcePathStyle: 'auto',
  });
  t.same(plain, { warnings: [], region: 'eu-west-1', maxAttempts: 7, checksum: 'WHEN_REQUIRED' });
  // What the YAML sets wins.
  const set = await open(`${aws}  region: us-east-2\n  max_retries: 2\n`, {
    s3MaxAttempts: 7,
    s3Region: 'eu-west-1',
    s3ForcePathStyle: 'auto',
  });
  t.same([set.region, set.maxAttempts], ['us-east-2', 2]);
  // An explicit `default` asks for the SDK's checksums (as `auto` does for this AWS endpoint).
  t.equal((await open(aws, { s3ChecksumMode: 'default', s3ForcePathStyle: 'auto' })).checksum, 'WHEN_SUPPORTED');
  // Settings only the YAML may give are named when set.
  const ignored = await open(aws, { s3Endpoint: 'https://minio:9000', s3ForcePathStyle: true });
  t.match(ignored.warnings, [/PROMSHIP_S3_ENDPOINT is ignored/, /PROMSHIP_S3_FORCE_PATH_STYLE is ignored/]);
});
