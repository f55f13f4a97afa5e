/**
 * The property the fault scenarios rest on, checked one request at a time: an answer cut off by
 * the network is never taken for a complete, shorter one. Through the chaos proxy set to cut
 * every answer at a random point (or, for a chunked answer, to withhold only its final empty
 * chunk), promship's S3 client must fail every object read and every listing, and its remote-read
 * client must fail every read, never return fewer bytes, keys or series. An answer that is only
 * dripped slowly must come out identical to a direct one.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import t from 'tap';
import { S3Bucket } from '../../src/bucket/s3-bucket.ts';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import { startChaosProxy } from '../helpers/chaos-proxy.ts';
import { readAll } from '../helpers/remote-read-checks.ts';
import { startFauxqs } from '../helpers/s3.ts';
import { H, startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';
import { seededRandom } from '../helpers/seeded-random.ts';

const ATTEMPTS = Number(process.env.FAULT_CUT_ATTEMPTS ?? 25);
const SEED = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000);

t.test('a cut S3 answer fails the read or the listing, never returns less', async (t) => {
  t.comment(`seed=${SEED}`);
  const server = await startFauxqs(t);
  const direct = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  t.teardown(() => direct.destroy());
  const rnd = seededRandom(SEED);
  // Objects of the sizes promship reads: a small meta.json, a ledger, and a larger one.
  const objects = new Map<string, Buffer>();
  for (const [key, size] of [
    ['p/01ARZ3NDEKTSV4RRFFQ69G5FAV/meta.json', 600],
    ['p/promship/c/ledger.json', 20_000],
    ['p/big', 300_000],
  ] as const) {
    const body = Buffer.from(Array.from({ length: size }, () => rnd.int(32, 126)));
    objects.set(key, body);
    await direct.send(new PutObjectCommand({ Bucket: server.bucket, Key: key, Body: body }));
  }
  // Enough keys that a listing is several KiB of XML.
  for (let i = 0; i < 150; i++)
    await direct.send(
      new PutObjectCommand({
        Bucket: server.bucket,
        Key: `p/01ARZ3NDEKTSV4RRFFQ69G${String(i).padStart(4, '0')}/index`,
        Body: 'x',
      }),
    );

  const proxy = await startChaosProxy(t, {
    upstream: server.endpoint,
    dialect: 's3',
    rate: 1,
    seed: SEED,
    kinds: ['truncate'],
  });
  // One attempt per request: the SDK's retries would only hide what this test looks at.
  const bucket = new S3Bucket({
    bucket: server.bucket,
    prefix: 'p',
    endpoint: proxy.url,
    region: server.region,
    forcePathStyle: true,
    accessKeyId: 'test',
    secretAccessKey: 'test',
    maxAttempts: 1,
    requestTimeoutMs: 5000,
  });
  t.teardown(() => bucket.close());
  const wrong: string[] = [];
  let failures = 0;
  for (let i = 0; i < ATTEMPTS; i++) {
    for (const [key, body] of objects) {
      const rel = key.slice(2);
      try {
        const got = await bucket.get(rel);
        wrong.push(`${rel}: returned ${got?.length ?? 'null'} of ${body.length} bytes`);
      } catch (err) {
        failures++;
        if (!String((err as { code?: string }).code).startsWith('PROMSHIP_BUCKET_'))
          wrong.push(`${rel}: ${String(err)}`);
      }
    }
    for (const list of [() => bucket.listChildren(''), () => bucket.listObjects('')]) {
      try {
        const got = await list();
        wrong.push(`a listing returned ${got.length} entries`);
      } catch {
        failures++;
      }
    }
  }
  t.same(wrong, [], `every cut answer failed (${failures} failures): ${proxy.summary()}`);

  proxy.rate = 0;
  t.equal(
    Buffer.from((await bucket.get('big'))!).equals(objects.get('p/big')!),
    true,
    'without faults the same read returns the object',
  );
  t.equal((await bucket.listChildren('')).length, 153, 'and the listing is complete');
});

t.test('a cut remote-read answer fails the read, never yields fewer series; a slow one is identical', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, join(dir, 's'), { windows: 1, scale: 2 });
  const window = {
    start: Math.floor(source.dataStart / (2 * H)) * 2 * H,
    end: Math.floor(source.dataStart / (2 * H)) * 2 * H + 2 * H,
  };
  const direct = new RemoteReadClient({ url: source.prometheus.url, timeoutMs: 10_000 });
  t.teardown(() => direct.close());
  const truth = await readAll(direct, window);
  t.ok(truth.length > 50, `the window has ${truth.length} series`);

  const proxy = await startChaosProxy(t, {
    upstream: source.prometheus.url,
    dialect: 'prometheus',
    rate: 1,
    seed: SEED,
    kinds: ['truncate'],
  });
  const client = new RemoteReadClient({ url: proxy.url, timeoutMs: 10_000 });
  t.teardown(() => client.close());
  const wrong: string[] = [];
  const codes = new Map<string, number>();
  for (let i = 0; i < ATTEMPTS; i++) {
    try {
      const got = await readAll(client, window);
      wrong.push(`a cut read returned ${got.length} of ${truth.length} series`);
    } catch (err) {
      const code = String((err as { code?: string }).code);
      codes.set(code, (codes.get(code) ?? 0) + 1);
      if (!code.startsWith('PROMSHIP_REMOTE_READ_')) wrong.push(String(err));
    }
  }
  t.same(wrong, [], `every cut read failed: ${JSON.stringify(Object.fromEntries(codes))}`);

  const slow = await startChaosProxy(t, {
    upstream: source.prometheus.url,
    dialect: 'prometheus',
    rate: 1,
    seed: SEED,
    kinds: ['slowBody'],
  });
  const slowClient = new RemoteReadClient({ url: slow.url, timeoutMs: 10_000 });
  t.teardown(() => slowClient.close());
  const dripped = await readAll(slowClient, window);
  t.same(dripped, truth, 'a dripped answer yields exactly the same series and chunks');
});
