import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import t from 'tap';
import { S3Bucket, type S3BucketOptions } from '../../src/bucket/s3-bucket.ts';
import { BucketError, describeError } from '../../src/errors.ts';
import { bucketContract } from '../helpers/bucket-contract.ts';
import { EXTRA, startGrowingS3Proxy } from '../helpers/growing-s3-proxy.ts';
import { startPassThroughProxy } from '../helpers/pass-through-proxy.ts';
import { plainClient, startFauxqs, startS3rver, type S3TestServer } from '../helpers/s3.ts';
import { tempDir } from '../helpers/tmp.ts';

const MiB = 1024 * 1024;
const servers = [
  ['s3rver', startS3rver],
  ['fauxqs', startFauxqs],
] as const;

let prefixCounter = 0;
function bucketOn(srv: S3TestServer, extra: Partial<S3BucketOptions> = {}): S3Bucket {
  return new S3Bucket({
    bucket: srv.bucket,
    prefix: `t${prefixCounter++}`,
    endpoint: srv.endpoint,
    forcePathStyle: true,
    region: srv.region,
    accessKeyId: srv.accessKeyId,
    secretAccessKey: srv.secretAccessKey,
    // fauxqs caps request bodies at 11 MiB.
    partSizeBytes: 8 * MiB,
    ...extra,
  });
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function caught(p: Promise<unknown>): Promise<BucketError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BucketError) return err;
    throw err;
  }
  throw new Error('expected a BucketError, got success');
}

for (const [name, start] of servers) {
  // One server per kind for the whole file: every bucket below has keys of its own (a prefix, or
  // another bucket name), so they cannot see each other. The outage test stops its server: its own.
  let started: Promise<S3TestServer> | undefined;
  const shared = (): Promise<S3TestServer> => (started ??= start(t));

  t.test(`contract on ${name}`, async (t) => {
    const srv = await shared();
    for (const checksumMode of ['default', 'when-required'] as const) {
      await t.test(`checksum mode ${checksumMode}`, async (t) => {
        await bucketContract(t, async () => bucketOn(srv, { checksumMode }), {
          listsDeepOnlyDirectories: name !== 's3rver',
          // One large multipart upload per server and mode is enough; listings page at 1000.
          manyKeys: 1003,
        });
      });
    }
  });

  t.test(`${name}: a prefix keeps keys under it and out of listings of other prefixes`, async (t) => {
    const srv = await shared();
    const inner = bucketOn(srv, { prefix: '/tenant-a/' });
    const outer = bucketOn(srv, { prefix: '' });
    t.teardown(() => inner.close());
    t.teardown(() => outer.close());
    await inner.put('01HX/meta.json', '{}');
    t.same(await inner.listChildren(''), ['01HX/']);
    t.same(
      (await outer.listObjects('tenant-a/')).map((o) => o.key),
      ['tenant-a/01HX/meta.json'],
    );
    t.equal(Buffer.from((await outer.get('tenant-a/01HX/meta.json')) ?? []).toString(), '{}');
    t.match(inner.description, /^s3:\/\/promship-test\/tenant-a \(endpoint http:\/\/127\.0\.0\.1:\d+\)$/);
  });

  t.test(`${name}: bytes are stored intact in both checksum modes, seen by a plain SDK client`, async (t) => {
    const srv = await shared();
    const dir = await tempDir(t);
    const data = randomBytes(13 * MiB + 7);
    const file = join(dir, 'f');
    await writeFile(file, data);
    const raw = plainClient(t, srv);
    for (const checksumMode of ['default', 'when-required'] as const) {
      const prefix = `modes-${checksumMode}`;
      const b = bucketOn(srv, { checksumMode, prefix });
      t.teardown(() => b.close());
      await b.uploadFile('multi', file);
      await b.put('single', data.subarray(0, 100_000));
      const multi = await raw.send(new GetObjectCommand({ Bucket: srv.bucket, Key: `${prefix}/multi` }));
      t.equal(sha256(await multi.Body!.transformToByteArray()), sha256(data), `${checksumMode}: multipart`);
      const single = await raw.send(new GetObjectCommand({ Bucket: srv.bucket, Key: `${prefix}/single` }));
      t.equal(
        sha256(await single.Body!.transformToByteArray()),
        sha256(data.subarray(0, 100_000)),
        `${checksumMode}: single put`,
      );
    }
  });

  t.test(`${name}: put_user_metadata reaches the store like Thanos sends it`, async (t) => {
    const srv = await shared();
    const dir = await tempDir(t);
    await writeFile(join(dir, 'big'), randomBytes(9 * MiB));
    const b = bucketOn(srv, {
      prefix: 'meta',
      putUserMetadata: { 'X-Amz-Storage-Class': 'STANDARD_IA', owner: 'promship', 'X-Amz-Meta-Team': 'obs' },
    });
    t.teardown(() => b.close());
    await b.put('small', 'x');
    await b.uploadFile('multi', join(dir, 'big'));
    const raw = plainClient(t, srv);
    for (const key of ['meta/small', 'meta/multi']) {
      const head = await raw.send(new HeadObjectCommand({ Bucket: srv.bucket, Key: key }));
      t.same(head.Metadata, { owner: 'promship', team: 'obs' }, `${key}: user metadata`);
      // fauxqs does not keep storage classes; s3rver does.
      if (name === 's3rver') t.equal(head.StorageClass, 'STANDARD_IA', `${key}: storage class`);
    }
  });

  t.test(`${name}: a missing bucket is a typed error, also for stat`, async (t) => {
    const srv = await shared();
    const b = bucketOn(srv, { bucket: 'promship-no-such-bucket' });
    t.teardown(() => b.close());
    for (const [op, p] of [
      ['put', () => b.put('k', 'v')],
      ['get', () => b.get('k')],
      ['stat', () => b.stat('k')],
      ['listChildren', () => b.listChildren('')],
      ['listObjects', () => b.listObjects('')],
    ] as const) {
      const err = await caught(p());
      t.equal(err.code, 'PROMSHIP_BUCKET_NOT_FOUND', op);
      t.match(err.message, /promship-no-such-bucket/, `${op} names the bucket`);
    }
  });

  t.test(`${name}: server down gives UNREACHABLE, and the bucket works again after restart`, async (t) => {
    const srv = await start(t);
    const b = bucketOn(srv, { maxAttempts: 2, requestTimeoutMs: 2_000 });
    t.teardown(() => b.close());
    await b.put('before/meta.json', 'kept');
    await srv.stop();
    for (const p of [() => b.get('before/meta.json'), () => b.put('x', 'y'), () => b.listChildren('')]) {
      const err = await caught(p());
      t.equal(err.code, 'PROMSHIP_BUCKET_UNREACHABLE');
      t.match(err.message, /unreachable/);
      t.match(err.message, /ECONNREFUSED/);
    }
    await srv.start();
    t.equal(Buffer.from((await b.get('before/meta.json')) ?? []).toString(), 'kept');
    await b.put('after', 'ok');
    t.same(await b.listChildren(''), ['after', 'before/']);
  });

  t.test(`${name}: an aborted signal gives ABORTED and uploads nothing`, async (t) => {
    const srv = await shared();
    const b = bucketOn(srv);
    t.teardown(() => b.close());
    const dir = await tempDir(t);
    await writeFile(join(dir, 'f'), randomBytes(1000));
    const signal = AbortSignal.abort();
    t.equal((await caught(b.put('a', 'x', { signal }))).code, 'PROMSHIP_BUCKET_ABORTED');
    t.equal((await caught(b.uploadFile('b', join(dir, 'f'), { signal }))).code, 'PROMSHIP_BUCKET_ABORTED');
    t.equal((await caught(b.get('a', { signal }))).code, 'PROMSHIP_BUCKET_ABORTED');
    t.same(await b.listObjects(''), []);
  });
}

t.test('s3rver: an unknown access key is ACCESS_DENIED and the key id is not echoed', async (t) => {
  // s3rver checks the key id but not SigV4 signatures, and fauxqs accepts anything, so a wrong
  // secret cannot be shown here; the echoing server below covers secrets in messages.
  const srv = await startS3rver(t);
  const keyId = 'AKIAIOSFODNN7EXAMPLE';
  const secret = 'wrong-Secret/Key+0123456789abcdefghijKLMN-promship-test-secret';
  const b = bucketOn(srv, { accessKeyId: keyId, secretAccessKey: secret, maxAttempts: 1 });
  t.teardown(() => b.close());
  for (const p of [() => b.put('k', 'v'), () => b.get('k'), () => b.stat('k'), () => b.listObjects('')]) {
    const err = await caught(p());
    t.equal(err.code, 'PROMSHIP_BUCKET_ACCESS_DENIED');
    t.match(err.message, /HTTP 403/, 'names the status');
    for (const text of [err.message, describeError(err), inspect(err, { depth: 10 }), JSON.stringify(err)]) {
      t.notMatch(text, keyId, 'no access key id');
      t.notMatch(text, secret, 'no secret key');
    }
  }
  t.match((await caught(b.get('k'))).message, /InvalidAccessKeyId/, 'names the S3 code');
});

t.test('s3rver: a store that keeps more bytes than were sent gives SIZE_MISMATCH and loses the object', async (t) => {
  const srv = await startS3rver(t);
  const proxy = await startGrowingS3Proxy(t, srv.endpoint, /\/chunks\//);
  const raw = plainClient(t, srv);
  const dir = await tempDir(t);
  const gone = async (key: string): Promise<boolean> =>
    raw.send(new HeadObjectCommand({ Bucket: srv.bucket, Key: key })).then(
      () => false,
      (err: unknown) => (err as { name?: string }).name === 'NotFound',
    );
  for (const checksumMode of ['default', 'when-required'] as const) {
    const prefix = `grow-${checksumMode}`;
    const b = bucketOn({ ...srv, endpoint: proxy.endpoint }, { checksumMode, prefix });
    t.teardown(() => b.close());
    // One PutObject, and a multipart upload of two parts (8 MiB parts), each part grown.
    for (const [name, size, parts] of [
      ['single', 1000, 1],
      ['multipart', 9 * MiB, 2],
    ] as const) {
      const file = join(dir, name);
      await writeFile(file, randomBytes(size));
      const err = await caught(b.uploadFile(`blk/chunks/${name}`, file));
      t.equal(err.code, 'PROMSHIP_BUCKET_SIZE_MISMATCH', `${checksumMode} ${name}: code`);
      t.match(
        err.message,
        `stored ${size + parts * EXTRA.length} bytes instead of ${size}`,
        `${checksumMode} ${name}: both sizes`,
      );
      t.ok(await gone(`${prefix}/blk/chunks/${name}`), `${checksumMode} ${name}: the grown object was removed`);
    }
    t.equal(
      (await caught(b.put('blk/chunks/small', 'abc'))).code,
      'PROMSHIP_BUCKET_SIZE_MISMATCH',
      `${checksumMode}: put`,
    );
    t.ok(await gone(`${prefix}/blk/chunks/small`), `${checksumMode}: the grown put was removed`);
    // What the store keeps intact passes.
    await b.put('blk/index', 'intact');
    t.equal((await b.stat('blk/index'))?.size, 6, `${checksumMode}: an intact object stays`);
  }
  t.equal(proxy.grown.length, 2 * (1 + 2 + 1), 'every chunks PUT went through the growing store');
});

t.test('credentials a store echoes back in an error never reach our message', async (t) => {
  const keyId = 'AKIAZZZZEXAMPLE12345';
  const secret = 'very/Secret+Key0123456789abcdefghijKLMNOP-promship-test-secret';
  const token = 'FwoGZXIvYXdzEXAMPLEsessionTOKENvalue0123456789-promship-test-secret';
  // A hostile or chatty store: its error message repeats the credential-bearing request headers
  // (and, as a worst case, the secret as if it had leaked elsewhere).
  const echo = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const msg = `denied: auth=${String(req.headers.authorization)} token=${String(req.headers['x-amz-security-token'])} secret=${secret}`;
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>${msg}</Message>` +
          `<AWSAccessKeyId>${keyId}</AWSAccessKeyId></Error>`,
      );
    });
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => echo.close(() => resolve())));
  const port = (echo.address() as { port: number }).port;
  const b = new S3Bucket({
    bucket: 'b',
    endpoint: `127.0.0.1:${port}`,
    insecure: true,
    forcePathStyle: true,
    accessKeyId: keyId,
    secretAccessKey: secret,
    sessionToken: token,
    maxAttempts: 1,
  });
  t.teardown(() => b.close());
  for (const p of [() => b.put('k', 'v'), () => b.get('k'), () => b.listChildren('')]) {
    const err = await caught(p());
    t.equal(err.code, 'PROMSHIP_BUCKET_ACCESS_DENIED');
    t.match(err.message, /denied: auth=/, 'the store message is kept');
    for (const text of [err.message, describeError(err), inspect(err, { depth: 10 }), JSON.stringify(err)]) {
      t.notMatch(text, keyId, 'no access key id');
      t.notMatch(text, secret, 'no secret key');
      t.notMatch(text, token, 'no session token');
    }
  }
});

t.test('X-Amz-Acl from put_user_metadata is sent as the canned ACL header', async (t) => {
  const seen: { method: string; acl: string | undefined }[] = [];
  const sizes = new Map<string, number>();
  const store = createHttpServer((req, res) => {
    let size = 0;
    req.on('data', (d: Buffer) => (size += d.length));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const header = req.headers['x-amz-acl'];
      seen.push({ method: req.method ?? '', acl: typeof header === 'string' ? header : undefined });
      if (req.method === 'PUT') {
        sizes.set(path, size);
        res.writeHead(200, { etag: '"e"' }).end();
      } else if (req.method === 'HEAD' && sizes.has(path)) {
        res.writeHead(200, { 'content-length': String(sizes.get(path)), etag: '"e"' }).end();
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => store.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => store.close(() => resolve())));
  const port = (store.address() as { port: number }).port;
  const b = new S3Bucket({
    bucket: 'b',
    endpoint: `127.0.0.1:${port}`,
    insecure: true,
    forcePathStyle: true,
    accessKeyId: 'k',
    secretAccessKey: 's',
    checksumMode: 'when-required',
    putUserMetadata: { 'X-Amz-Acl': 'bucket-owner-full-control' },
  });
  t.teardown(() => b.close());
  const dir = await tempDir(t);
  await writeFile(join(dir, 'f'), 'file body');
  await b.put('a', 'body');
  await b.uploadFile('b', join(dir, 'f'));
  t.same(
    seen.filter((r) => r.method === 'PUT').map((r) => r.acl),
    ['bucket-owner-full-control', 'bucket-owner-full-control'],
  );
  t.throws(() => new S3Bucket({ bucket: 'b', putUserMetadata: { 'X-Amz-Tagging': 'a=b' } }), {
    code: 'PROMSHIP_CONFIG',
    message: /X-Amz-Tagging/,
  });
});

t.test('a server that accepts but never answers gives TIMEOUT', async (t) => {
  const sockets = new Set<Socket>();
  const silent = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        silent.close(() => resolve());
      }),
  );
  const port = (silent.address() as { port: number }).port;
  const b = new S3Bucket({
    bucket: 'b',
    endpoint: `127.0.0.1:${port}`,
    insecure: true,
    forcePathStyle: true,
    accessKeyId: 'k',
    secretAccessKey: 's',
    requestTimeoutMs: 300,
    maxAttempts: 1,
  });
  t.teardown(() => b.close());
  t.equal(b.description, `s3://b (endpoint http://127.0.0.1:${port})`);
  const err = await caught(b.get('some/key'));
  t.equal(err.code, 'PROMSHIP_BUCKET_TIMEOUT');
  t.match(err.message, /"some\/key"/);
});

t.test('bad keys and bad options are rejected before any request', async (t) => {
  const b = new S3Bucket({ bucket: 'b', endpoint: 'http://127.0.0.1:1', accessKeyId: 'a', secretAccessKey: 's' });
  t.teardown(() => b.close());
  for (const key of ['', '/abs', 'dir/']) {
    t.equal((await caught(b.put(key, 'x'))).code, 'PROMSHIP_BUCKET_BAD_KEY', JSON.stringify(key));
  }
  t.throws(() => new S3Bucket({ bucket: '' }), { code: 'PROMSHIP_CONFIG' });
  t.throws(() => new S3Bucket({ bucket: 'b', accessKeyId: 'only-the-key' }), { code: 'PROMSHIP_CONFIG' });
  t.throws(() => new S3Bucket({ bucket: 'b', partSizeBytes: 1024 }), { code: 'PROMSHIP_CONFIG' });
  // Credentials in the endpoint would be logged with the bucket's description.
  for (const endpoint of [
    'https://AKIAUSER:endpoint-secret@minio:9000',
    'user:endpoint-secret@minio:9000',
    'http://AKIAUSER@minio',
  ]) {
    const err = (() => {
      try {
        new S3Bucket({ bucket: 'b', endpoint, insecure: true });
      } catch (e) {
        return e as Error & { code?: string };
      }
      return undefined;
    })();
    t.equal(err?.code, 'PROMSHIP_CONFIG', `${endpoint.replace(/:[^:@]*@/, ':***@')}: refused`);
    t.notMatch(err?.message ?? '', /endpoint-secret|AKIAUSER/, 'without repeating it');
  }
  const aws = new S3Bucket({ bucket: 'thanos', prefix: 'c1', region: 'eu-west-1' });
  t.teardown(() => aws.close());
  t.equal(aws.description, 's3://thanos/c1 (region eu-west-1)');
});

t.test('fauxqs behind a throttling proxy: HTTP 429 is a retryable SERVER_ERROR, not a config problem', async (t) => {
  // Neither emulator throttles, so a proxy answers 429 in front of fauxqs the way MinIO, Ceph and
  // other S3-compatible stores do under load (with and without an S3 error code in the body).
  const srv = await startFauxqs(t);
  let body = '';
  let throttle = true;
  const { url: endpoint } = await startPassThroughProxy(t, srv.endpoint, (req, res) => {
    if (!throttle) return false;
    req.resume();
    res.writeHead(429, { 'content-type': 'application/xml' });
    res.end(body);
    return true;
  });
  const b = bucketOn({ ...srv, endpoint }, { maxAttempts: 1 });
  t.teardown(() => b.close());
  for (const [what, text] of [
    [
      'SlowDown',
      '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
    ],
    ['no S3 code', ''],
  ] as const) {
    body = text;
    for (const p of [() => b.put('k', 'v'), () => b.get('k'), () => b.listObjects('')]) {
      const err = await caught(p());
      t.equal(err.code, 'PROMSHIP_BUCKET_SERVER_ERROR', `${what}: code`);
      t.match(err.message, /HTTP 429/, `${what}: names the status`);
      t.match(err.message, /throttling/, `${what}: says the store is throttling`);
      t.match(err.message, /retries later/, `${what}: says it is retried`);
      t.notMatch(err.message, /check the bucket configuration/, `${what}: does not blame the config`);
    }
  }
  throttle = false;
  await b.put('k', 'v');
  t.equal((await b.stat('k'))?.size, 1, 'the same request succeeds once the store stops throttling');
});

t.test(
  's3rver: a part size above 16 MiB is lowered to it, so parts in flight stay within the memory budget',
  async (t) => {
    // Kubecost documents part_size 128 MiB; lib-storage holds ~queue × partSize per upload and two
    // segments upload at once. Counting UploadPart requests shows the size actually used.
    const srv = await startS3rver(t);
    const partBytes: number[] = [];
    const { url: endpoint } = await startPassThroughProxy(t, srv.endpoint, (req) => {
      if (req.method === 'PUT' && /[?&]partNumber=/.test(req.url ?? ''))
        partBytes.push(Number(req.headers['content-length']));
      return false;
    });
    const b = bucketOn(
      { ...srv, endpoint },
      {
        partSizeBytes: 128 * MiB,
        checksumMode: 'when-required',
      },
    );
    t.teardown(() => b.close());
    const dir = await tempDir(t);
    await writeFile(join(dir, 'seg'), randomBytes(40 * MiB));
    await b.uploadFile('blk/chunks/000001', join(dir, 'seg'));
    t.same(partBytes, [16 * MiB, 16 * MiB, 8 * MiB], 'three parts of at most 16 MiB');
    t.equal((await b.stat('blk/chunks/000001'))?.size, 40 * MiB);
  },
);
