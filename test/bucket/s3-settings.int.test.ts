/**
 * One endpoint, two ways to configure it: `PROMSHIP_BUCKET` with `PROMSHIP_S3_*`, and a Thanos
 * objstore YAML. Each row opens the bucket both ways and captures the first request each S3
 * client would send (URL, signing region, checksum headers) before it leaves the process, so the
 * test compares what the store would actually see, not the resolver's own output.
 */
import { writeFile } from 'node:fs/promises';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import t from 'tap';
import { openBucket } from '../../src/bucket/open-bucket.ts';
import { S3Bucket } from '../../src/bucket/s3-bucket.ts';
import { resolveS3Endpoint } from '../../src/bucket/s3-settings.ts';
import { startS3rver } from '../helpers/s3.ts';
import { tempDir } from '../helpers/tmp.ts';

/** The defaults of every `PROMSHIP_S3_*` setting, as the schema gives them. */
const DEFAULTS = {
  bucket: undefined,
  objstoreConfigFile: undefined,
  s3Endpoint: undefined,
  s3Region: undefined,
  s3ForcePathStyle: 'auto',
  s3Sse: 'none',
  s3SseKmsKeyId: undefined,
  s3ChecksumMode: 'auto',
  s3RequestTimeout: 120_000,
  s3MaxAttempts: 1,
} as const;

interface SeenRequest {
  url: string;
  /** The region in the SigV4 credential scope. */
  signedFor: string;
  /** Whether the SDK added its CRC checksum (header or trailer). */
  checksum: boolean;
}

class Captured extends Error {}

/** The PutObject request the bucket's client would send, captured after signing. */
async function firstRequest(bucket: S3Bucket): Promise<SeenRequest> {
  const client = bucket['client'];
  let seen: SeenRequest | undefined;
  client.middlewareStack.add(
    () => (args) => {
      const req = args.request as {
        protocol: string;
        hostname: string;
        port?: number;
        path: string;
        headers: Record<string, string>;
      };
      const auth = req.headers.authorization ?? req.headers.Authorization ?? '';
      const names = Object.keys(req.headers).map((h) => h.toLowerCase());
      seen = {
        url: `${req.protocol}//${req.hostname}${req.port !== undefined ? `:${req.port}` : ''}${req.path}`,
        signedFor: /Credential=[^/]+\/\d{8}\/([^/]+)\/s3\//.exec(auth)?.[1] ?? '',
        checksum: names.some((h) => h.startsWith('x-amz-checksum-') || h === 'x-amz-trailer'),
      };
      throw new Captured('captured before sending');
    },
    { step: 'deserialize', name: 'captureRequest', priority: 'low' },
  );
  await client.send(new PutObjectCommand({ Bucket: 'blocks', Key: 'k', Body: 'x' })).catch((err: unknown) => {
    if (!(err instanceof Captured)) throw err;
  });
  if (seen === undefined) throw new Error('no request was captured');
  return seen;
}

interface Row {
  /** As `PROMSHIP_S3_ENDPOINT` takes it (a URL). */
  url: string;
  /** As the objstore YAML takes it: host[:port], `insecure: true` for http. */
  yaml: { endpoint: string; insecure?: boolean };
  env?: NodeJS.ProcessEnv;
  expect: SeenRequest;
}

const ROWS: Row[] = [
  {
    url: 'https://s3.eu-west-1.amazonaws.com',
    yaml: { endpoint: 's3.eu-west-1.amazonaws.com' },
    expect: { url: 'https://blocks.s3.eu-west-1.amazonaws.com/k', signedFor: 'eu-west-1', checksum: true },
  },
  {
    url: 'https://s3-eu-west-1.amazonaws.com',
    yaml: { endpoint: 's3-eu-west-1.amazonaws.com' },
    expect: { url: 'https://blocks.s3.eu-west-1.amazonaws.com/k', signedFor: 'eu-west-1', checksum: true },
  },
  {
    url: 'https://s3.amazonaws.com',
    yaml: { endpoint: 's3.amazonaws.com' },
    // No region anywhere: us-east-1, with S3's redirects to the bucket's region followed.
    expect: { url: 'https://blocks.s3.us-east-1.amazonaws.com/k', signedFor: 'us-east-1', checksum: true },
  },
  {
    url: 'https://s3.amazonaws.com',
    yaml: { endpoint: 's3.amazonaws.com' },
    env: { AWS_REGION: 'ap-south-1' },
    expect: { url: 'https://blocks.s3.ap-south-1.amazonaws.com/k', signedFor: 'ap-south-1', checksum: true },
  },
  {
    url: 'https://s3.dualstack.us-west-2.amazonaws.com',
    yaml: { endpoint: 's3.dualstack.us-west-2.amazonaws.com' },
    env: { AWS_REGION: 'eu-central-1' },
    expect: { url: 'https://blocks.s3.dualstack.us-west-2.amazonaws.com/k', signedFor: 'us-west-2', checksum: true },
  },
  {
    url: 'https://s3-fips.us-gov-west-1.amazonaws.com',
    yaml: { endpoint: 's3-fips.us-gov-west-1.amazonaws.com' },
    expect: { url: 'https://blocks.s3-fips.us-gov-west-1.amazonaws.com/k', signedFor: 'us-gov-west-1', checksum: true },
  },
  {
    url: 'https://s3.cn-north-1.amazonaws.com.cn',
    yaml: { endpoint: 's3.cn-north-1.amazonaws.com.cn' },
    expect: { url: 'https://blocks.s3.cn-north-1.amazonaws.com.cn/k', signedFor: 'cn-north-1', checksum: true },
  },
  {
    url: 'http://127.0.0.1:9000',
    yaml: { endpoint: '127.0.0.1:9000', insecure: true },
    // A MinIO-like store: path style, us-east-1 whatever AWS_REGION says, no SDK checksums.
    env: { AWS_REGION: 'eu-west-1' },
    expect: { url: 'http://127.0.0.1:9000/blocks/k', signedFor: 'us-east-1', checksum: false },
  },
  {
    url: 'https://minio.example:9000',
    yaml: { endpoint: 'minio.example:9000' },
    expect: { url: 'https://minio.example:9000/blocks/k', signedFor: 'us-east-1', checksum: false },
  },
  {
    url: 'https://storage.googleapis.com',
    yaml: { endpoint: 'storage.googleapis.com' },
    // GCS interoperability: virtual-hosted like minio-go's auto lookup, no SDK checksums.
    expect: { url: 'https://blocks.storage.googleapis.com/k', signedFor: 'us-east-1', checksum: false },
  },
];

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDRESOLVERTEST', AWS_SECRET_ACCESS_KEY: 'resolver-test-secret' };

void t.test('one endpoint given either way is addressed, signed and checksummed the same', async (t) => {
  const dir = await tempDir(t);
  // The env route takes credentials from the standard chain; the YAML route from the YAML.
  const saved = { ...process.env };
  Object.assign(process.env, CREDENTIALS);
  t.teardown(() => {
    for (const k of Object.keys(CREDENTIALS)) {
      if (saved[k] === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = saved[k];
    }
  });
  let n = 0;
  for (const row of ROWS) {
    const name = `${row.url}${row.env ? ` with ${JSON.stringify(row.env)}` : ''}`;
    const env = row.env ?? {};
    const viaEnv = await openBucket(
      { ...DEFAULTS, bucket: { kind: 's3', bucket: 'blocks', prefix: '' }, s3Endpoint: row.url },
      env,
    );
    t.teardown(() => viaEnv.bucket.close());
    const file = `${dir}/objstore-${n++}.yaml`;
    const yaml = [
      'type: S3',
      'config:',
      '  bucket: blocks',
      `  endpoint: ${row.yaml.endpoint}`,
      ...(row.yaml.insecure ? ['  insecure: true'] : []),
      `  access_key: ${CREDENTIALS.AWS_ACCESS_KEY_ID}`,
      `  secret_key: ${CREDENTIALS.AWS_SECRET_ACCESS_KEY}`,
      '  max_retries: 1',
    ].join('\n');
    await writeFile(file, `${yaml}\n`);
    const viaYaml = await openBucket({ ...DEFAULTS, objstoreConfigFile: file }, env);
    t.teardown(() => viaYaml.bucket.close());
    t.same(viaYaml.warnings, [], `${name}: the YAML route warns of nothing`);

    if (!(viaEnv.bucket instanceof S3Bucket) || !(viaYaml.bucket instanceof S3Bucket)) {
      throw new Error(`${name}: not an S3 bucket`);
    }
    const a = await firstRequest(viaEnv.bucket);
    const b = await firstRequest(viaYaml.bucket);
    t.same(a, row.expect, `${name}: PROMSHIP_S3_ENDPOINT`);
    t.same(b, row.expect, `${name}: objstore YAML`);
  }
});

void t.test('explicit settings win over the endpoint, by the same rules on both routes', (t) => {
  const base = {
    endpoint: '127.0.0.1:9000',
    insecure: true,
    region: undefined,
    bucketLookup: 'auto',
    checksumMode: 'auto',
    environmentRegion: undefined,
  } as const;
  t.same(resolveS3Endpoint(base), {
    endpoint: '127.0.0.1:9000',
    insecure: true,
    region: 'us-east-1',
    forcePathStyle: true,
    checksumMode: 'when-required',
  });
  t.same(resolveS3Endpoint({ ...base, bucketLookup: 'virtual-hosted', checksumMode: 'default', region: 'r1' }), {
    endpoint: '127.0.0.1:9000',
    insecure: true,
    region: 'r1',
    forcePathStyle: false,
    checksumMode: 'default',
  });
  // A standard AWS endpoint over plain http is used as given, not replaced by the SDK's https URL.
  t.same(resolveS3Endpoint({ ...base, endpoint: 's3.amazonaws.com' }), {
    endpoint: 's3.amazonaws.com',
    insecure: true,
    region: 'us-east-1',
    forcePathStyle: false,
    checksumMode: 'default',
  });
  // No endpoint at all: AWS S3 by region; AWS_REGION applies.
  t.same(resolveS3Endpoint({ ...base, endpoint: undefined, insecure: false, environmentRegion: 'eu-west-3' }), {
    region: 'eu-west-3',
    forcePathStyle: false,
    checksumMode: 'default',
  });
  t.end();
});

void t.test('a local S3 server given either way, and nothing else, stores what the other reads', async (t) => {
  const dir = await tempDir(t);
  const server = await startS3rver(t);
  const saved = { ...process.env };
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey });
  t.teardown(() => {
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
      if (saved[k] === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = saved[k];
    }
  });
  // No PROMSHIP_S3_FORCE_PATH_STYLE, region or checksum mode: the endpoint decides.
  const viaEnv = await openBucket(
    { ...DEFAULTS, bucket: { kind: 's3', bucket: server.bucket, prefix: 'p' }, s3Endpoint: server.endpoint },
    {},
  );
  t.teardown(() => viaEnv.bucket.close());
  const file = `${dir}/objstore.yaml`;
  const host = new URL(server.endpoint).host;
  await writeFile(
    file,
    `type: S3\nprefix: p\nconfig:\n  bucket: ${server.bucket}\n  endpoint: ${host}\n  insecure: true\n` +
      `  access_key: ${server.accessKeyId}\n  secret_key: ${server.secretAccessKey}\n`,
  );
  const viaYaml = await openBucket({ ...DEFAULTS, objstoreConfigFile: file }, {});
  t.teardown(() => viaYaml.bucket.close());

  const body = new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff);
  await viaEnv.bucket.put('from-env', body);
  await viaYaml.bucket.put('from-yaml', body);
  t.same(await viaYaml.bucket.get('from-env'), body, 'the YAML route reads what the env route wrote');
  t.same(await viaEnv.bucket.get('from-yaml'), body, 'the env route reads what the YAML route wrote');

  // The store's own view, through a client configured by hand: the bytes as sent, no aws-chunked framing.
  const direct = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  t.teardown(() => {
    direct.destroy();
  });
  for (const key of ['p/from-env', 'p/from-yaml']) {
    const res = await direct.send(new GetObjectCommand({ Bucket: server.bucket, Key: key }));
    t.same(await res.Body?.transformToByteArray(), body, `${key} holds the bytes sent`);
  }
});
