/**
 * `Bucket.putIfAbsent`: creates only where nothing exists, and says whether this call created it.
 * On the file bucket and on an S3 store that honours `If-None-Match: *` (the conditional proxy in
 * front of s3rver), of many concurrent creates of one key exactly one wins and the stored bytes
 * are the winner's, whole. s3rver and fauxqs ignore the precondition: they overwrite and say
 * true, which is what promship's probe detects. Stored bytes are read back with the AWS SDK or
 * the filesystem directly, not with the code under test.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { S3Bucket } from '../../src/bucket/s3-bucket.ts';
import { startConditionalS3Proxy } from '../helpers/conditional-s3-proxy.ts';
import { startFauxqs, startS3rver, type S3TestServer } from '../helpers/s3.ts';
import { tempDir } from '../helpers/tmp.ts';

const RACERS = 20;

function s3On(srv: S3TestServer, prefix: string, endpoint = srv.endpoint): S3Bucket {
  return new S3Bucket({
    bucket: srv.bucket,
    prefix,
    endpoint,
    forcePathStyle: true,
    region: srv.region,
    accessKeyId: srv.accessKeyId,
    secretAccessKey: srv.secretAccessKey,
    checksumMode: 'when-required',
  });
}

async function s3Bytes(srv: S3TestServer, key: string): Promise<string> {
  const c = new S3Client({
    endpoint: srv.endpoint,
    region: srv.region,
    forcePathStyle: true,
    credentials: { accessKeyId: srv.accessKeyId, secretAccessKey: srv.secretAccessKey },
  });
  try {
    const res = await c.send(new GetObjectCommand({ Bucket: srv.bucket, Key: key }));
    return await res.Body!.transformToString();
  } finally {
    c.destroy();
  }
}

const body = (i: number): string => `${JSON.stringify({ racer: i, pad: 'x'.repeat(4000 + i) })}\n`;

void t.test('file bucket: exclusive, atomic, nothing left in the temp dir', async (t) => {
  const root = await tempDir(t);
  const b = new FileBucket(root);
  t.equal(await b.putIfAbsent('a/b/claim.json', 'first'), true, 'creates a new key');
  t.equal(await b.putIfAbsent('a/b/claim.json', 'second'), false, 'refuses an existing key');
  t.equal(await readFile(join(root, 'a', 'b', 'claim.json'), 'utf8'), 'first', 'and keeps its bytes');

  const results = await Promise.all(
    Array.from({ length: RACERS }, (_, i) => b.putIfAbsent('race/claim.json', body(i))),
  );
  const winners = results.flatMap((r, i) => (r ? [i] : []));
  t.equal(winners.length, 1, `exactly one of ${RACERS} concurrent creates wins`);
  t.equal(
    await readFile(join(root, 'race', 'claim.json'), 'utf8'),
    body(winners[0]!),
    "the stored bytes are the winner's, whole",
  );
  t.same(await readdir(join(root, '.promship-tmp')), [], 'no temp file left behind');
  t.same(await b.listChildren(''), ['a/', 'race/'], 'the temp dir is not listed');
});

void t.test('S3 with If-None-Match honoured: 412 means false, exactly one racer wins', async (t) => {
  const srv = await startS3rver(t);
  const proxy = await startConditionalS3Proxy(t, srv);
  const b = s3On(srv, 'cond', proxy.url);
  t.teardown(() => b.close());
  t.equal(await b.putIfAbsent('claim.json', 'first'), true, 'creates a new key');
  t.equal(await b.putIfAbsent('claim.json', 'second'), false, 'refuses an existing key (412)');
  t.equal(await s3Bytes(srv, 'cond/claim.json'), 'first', 'and keeps its bytes');

  const racers = Array.from({ length: RACERS }, () => s3On(srv, 'cond', proxy.url));
  t.teardown(() => Promise.all(racers.map((r) => r.close())));
  const results = await Promise.all(racers.map((r, i) => r.putIfAbsent('race.json', body(i))));
  const winners = results.flatMap((r, i) => (r ? [i] : []));
  t.equal(winners.length, 1, `exactly one of ${RACERS} concurrent creates wins`);
  t.equal(await s3Bytes(srv, 'cond/race.json'), body(winners[0]!), "the stored bytes are the winner's");
  t.ok(proxy.refused >= RACERS, `the store refused the others (${proxy.refused} refusals)`);
});

for (const [name, start] of [
  ['s3rver', startS3rver],
  ['fauxqs', startFauxqs],
] as const) {
  void t.test(`${name} ignores If-None-Match: it overwrites and says true (what the probe detects)`, async (t) => {
    const srv = await start(t);
    const b = s3On(srv, 'plain');
    t.teardown(() => b.close());
    t.equal(await b.putIfAbsent('claim.json', 'first'), true);
    t.equal(await b.putIfAbsent('claim.json', 'second'), true, 'a second create also "succeeds"');
    t.equal(await s3Bytes(srv, 'plain/claim.json'), 'second', 'and overwrote the first');
  });
}
