/**
 * AzureBucket against Azurite: the shared bucket contract, then what is Azure-specific, judged
 * through a plain @azure/storage-blob client (not promship's code): create-only writes, staged
 * uploads invisible until committed and cleaned up by abortIncompleteUploads, reads checked by
 * Content-MD5, and errors with stable codes that never carry the account key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import t from 'tap';
import { openAzureBucket, type AzureBucket } from '../../src/bucket/azure-bucket.ts';
import type { AzureBucketOptions } from '../../src/bucket/azure-options.ts';
import { BucketError, describeError } from '../../src/errors.ts';
import { startAzurite, type AzuriteServer } from '../helpers/azurite.ts';
import { bucketContract } from '../helpers/bucket-contract.ts';
import { freePort } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';

const MiB = 1024 * 1024;
const srv = await startAzurite(t);
let counter = 0;

function bucketOn(server: AzuriteServer, extra: Partial<AzureBucketOptions> = {}): Promise<AzureBucket> {
  return openAzureBucket({
    container: server.container,
    prefix: `t${counter++}`,
    connectionString: server.connectionString(),
    // Small blocks so the contract's 25 MiB file is staged in several blocks.
    blockSizeBytes: 4 * MiB,
    ...extra,
  });
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

function noSecret(t: { notOk(v: unknown, m: string): void }, err: unknown, server: AzuriteServer): void {
  const text = `${describeError(err)} ${inspect(err, { depth: 5 })}`;
  t.notOk(text.includes(server.accountKey), 'the account key is in no part of the error');
}

void t.test('contract on Azurite (connection string)', async (t) => {
  await bucketContract(t, async () => bucketOn(srv), { manyKeys: 1003 });
});

void t.test('contract on Azurite (account key and endpoint URL)', async (t) => {
  await bucketContract(
    t,
    async () =>
      openAzureBucket({
        container: srv.container,
        prefix: `k${counter++}`,
        account: srv.account,
        accountKey: srv.accountKey,
        endpoint: srv.blobEndpoint,
        blockSizeBytes: 4 * MiB,
      }),
    { manyKeys: 5, largeFileBytes: 9 * MiB + 7 },
  );
});

void t.test('putIfAbsent creates once, then reports the existing object and leaves it alone', async (t) => {
  const b = await bucketOn(srv);
  t.equal(await b.putIfAbsent('lock/owner', 'first'), true);
  t.equal(await b.putIfAbsent('lock/owner', 'second'), false);
  t.equal(Buffer.from((await b.get('lock/owner')) ?? []).toString(), 'first');
  const raced = await Promise.all(Array.from({ length: 6 }, (_, i) => b.putIfAbsent('lock/race', `w${i}`)));
  t.equal(raced.filter(Boolean).length, 1, 'exactly one of six concurrent creators wins');
});

void t.test('a staged upload is invisible until committed; abortIncompleteUploads removes it', async (t) => {
  const b = await bucketOn(srv);
  const prefix = `t${counter - 1}`;
  const raw = srv.containerClient();
  const stagedName = `${prefix}/01HXBLOCK/chunks/000001`;
  const staged = raw.getBlockBlobClient(stagedName);
  await staged.stageBlock(Buffer.from('a-000000').toString('base64'), randomBytes(1000), 1000);
  await b.put('01HXBLOCK/index', 'index');
  t.same(
    (await b.listObjects('01HXBLOCK/')).map((o) => o.key),
    ['01HXBLOCK/index'],
    'staged blocks are not an object',
  );
  t.equal(await b.stat('01HXBLOCK/chunks/000001'), null);
  t.equal(await b.get('01HXBLOCK/chunks/000001'), null);

  t.equal(await b.abortIncompleteUploads('01HXBLOCK/'), 1, 'one uncommitted blob cleaned');
  const left: string[] = [];
  for await (const x of raw.listBlobsFlat({ prefix: `${prefix}/01HXBLOCK/`, includeUncommitedBlobs: true }))
    left.push(x.name);
  t.same(left, [`${prefix}/01HXBLOCK/index`], 'no uncommitted blob remains; the committed one is untouched');
  t.equal(await b.abortIncompleteUploads('01HXBLOCK/'), 0, 'nothing left to clean');
});

void t.test('a killed upload leaves nothing visible, and a new upload of the same key is whole', async (t) => {
  const b = await bucketOn(srv, { blockSizeBytes: 1 * MiB });
  const dir = await tempDir(t);
  const file = join(dir, 'seg');
  const data = randomBytes(5 * MiB + 3);
  await writeFile(file, data);
  const abort = new AbortController();
  // Aborted once the first block is sent: an upload cut off mid-way, as by a crash.
  const cut = b.uploadFile('blk/chunks/000001', file, { signal: abort.signal });
  setImmediate(() => {
    abort.abort(new Error('cut'));
  });
  const err = await caught(cut);
  t.equal(err.code, 'PROMSHIP_BUCKET_ABORTED');
  t.equal(await b.stat('blk/chunks/000001'), null, 'no blob is visible');
  await b.uploadFile('blk/chunks/000001', file);
  const back = await b.get('blk/chunks/000001');
  t.equal(
    createHash('sha256')
      .update(back ?? new Uint8Array())
      .digest('hex'),
    createHash('sha256').update(data).digest('hex'),
  );
});

void t.test('uploads are stored with an MD5 that matches, and reads check it', async (t) => {
  const b = await bucketOn(srv, { blockSizeBytes: 1 * MiB });
  const prefix = `t${counter - 1}`;
  const dir = await tempDir(t);
  const small = randomBytes(1000);
  const large = randomBytes(3 * MiB + 1);
  await writeFile(join(dir, 'small'), small);
  await writeFile(join(dir, 'large'), large);
  await b.uploadFile('x/small', join(dir, 'small'));
  await b.uploadFile('x/large', join(dir, 'large'));
  const raw = srv.containerClient();
  for (const [name, bytes] of [
    ['small', small],
    ['large', large],
  ] as const) {
    const props = await raw.getBlobClient(`${prefix}/x/${name}`).getProperties();
    t.same(
      Buffer.from(props.contentMD5 ?? []),
      createHash('md5').update(bytes).digest(),
      `${name}: stored Content-MD5 is the MD5 of the bytes`,
    );
  }
  // A blob whose stored MD5 does not match its bytes (as after corruption at rest) is not returned as good.
  const bad = raw.getBlockBlobClient(`${prefix}/x/bad`);
  await bad.upload('some bytes', 10);
  await bad.setHTTPHeaders({ blobContentMD5: createHash('md5').update('other bytes').digest() });
  const err = await caught(b.get('x/bad'));
  t.match(err.message, /MD5/);
  t.equal(await b.download('x/bad', join(dir, 'bad')).catch(() => 'failed'), 'failed');
});

void t.test('errors carry stable codes and no secret', async (t) => {
  const wrongKey = await openAzureBucket({
    container: srv.container,
    account: srv.account,
    accountKey: randomBytes(64).toString('base64'),
    endpoint: srv.blobEndpoint,
    maxTries: 1,
  });
  const denied = await caught(wrongKey.put('x', 'y'));
  t.equal(denied.code, 'PROMSHIP_BUCKET_ACCESS_DENIED');
  noSecret(t, denied, srv);

  const missing = await openAzureBucket({
    container: 'no-such-container',
    connectionString: srv.connectionString(),
    maxTries: 1,
  });
  const notFound = await caught(missing.put('x', 'y'));
  t.equal(notFound.code, 'PROMSHIP_BUCKET_NOT_FOUND');
  t.equal(
    (await caught(missing.stat('x'))).code,
    'PROMSHIP_BUCKET_NOT_FOUND',
    'a stat in a missing container is not "no such object"',
  );
  noSecret(t, notFound, srv);

  const port = await freePort();
  const nowhere = await openAzureBucket({
    container: srv.container,
    connectionString: srv.connectionString(`http://127.0.0.1:${port}/${srv.account}`),
    maxTries: 1,
  });
  const unreachable = await caught(nowhere.get('x'));
  t.equal(unreachable.code, 'PROMSHIP_BUCKET_UNREACHABLE');
  noSecret(t, unreachable, srv);
  t.notOk(nowhere.description.includes(srv.accountKey), 'the description holds no key');
});

void t.test('a download whose local file cannot be written fails with the local code, not as the store', async (t) => {
  const b = await bucketOn(srv);
  await b.put('x/local', 'bytes');
  const dir = await tempDir(t);
  const err = await caught(b.download('x/local', join(dir, 'no-such-dir', 'file')));
  t.equal(err.code, 'PROMSHIP_BUCKET_LOCAL_FILE', err.message);
});
