/**
 * What AzureBucket checks after a single-request upload, against a node:http stand-in for Blob
 * Storage: the Put Blob answer carries the MD5 the service computed of what it stored, so an
 * upload it kept intact costs that one request, and one it kept short or altered fails with the
 * matching code and is deleted, so that no reader trusts it; an answer without an MD5 leads to
 * asking for the blob's properties, as before. (Azurite cannot be made to damage an upload;
 * azure-bucket.int.test.ts checks the stored MD5 against it.)
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { openAzureBucket, type AzureBucket } from '../../src/bucket/azure-bucket.ts';
import { BucketError } from '../../src/errors.ts';
import { DAMAGES, damagedUploadErrors, requestBody } from '../helpers/damaged-uploads.ts';
import { tempDir } from '../helpers/tmp.ts';

// Azurite's well-known development key: not a secret.
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

interface Store {
  bucket: AzureBucket;
  blobs: Map<string, Buffer>;
  requests: string[];
  /** The next Put Blob stores `alter(bytes)` and answers with its MD5. */
  alterNext(alter: (b: Buffer) => Buffer): void;
  /** The next Put Blob's answer carries no Content-MD5. */
  bareNext(): void;
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('base64');

async function store(t: Test): Promise<Store> {
  const blobs = new Map<string, Buffer>();
  const requests: string[] = [];
  let alter: ((b: Buffer) => Buffer) | undefined;
  let bare = false;
  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      requests.push(`${req.method} ${path}`);
      const raw = await requestBody(req);
      const common = {
        'x-ms-request-id': 'r',
        'x-ms-version': '2025-01-05',
        etag: '"e"',
        'last-modified': new Date().toUTCString(),
      };
      if (req.method === 'PUT') {
        const stored = alter ? alter(raw) : raw;
        alter = undefined;
        blobs.set(path, stored);
        res.writeHead(201, { ...common, ...(bare ? {} : { 'content-md5': md5(stored) }), 'content-length': '0' });
        bare = false;
        res.end();
      } else if (req.method === 'HEAD') {
        const b = blobs.get(path);
        if (!b) {
          res.writeHead(404, { ...common, 'x-ms-error-code': 'BlobNotFound' });
          res.end();
          return;
        }
        res.writeHead(200, {
          ...common,
          'content-length': String(b.byteLength),
          'content-md5': md5(b),
          'x-ms-blob-type': 'BlockBlob',
        });
        res.end();
      } else if (req.method === 'DELETE') {
        blobs.delete(path);
        res.writeHead(202, common);
        res.end();
      } else {
        res.writeHead(400, common);
        res.end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  const bucket = await openAzureBucket({
    container: 'blobs',
    connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`,
    maxTries: 1,
    tryTimeoutMs: 5_000,
  });
  return {
    bucket,
    blobs,
    requests,
    alterNext: (a) => (alter = a),
    bareNext: () => (bare = true),
  };
}

t.test('an intact upload is one request: put, putIfAbsent and uploadFile', async (t) => {
  const s = await store(t);
  const dir = await tempDir(t);
  const file = join(dir, 'index');
  await writeFile(file, randomBytes(10_000));
  await s.bucket.put('ledger.json', '{"version":1}');
  t.equal(await s.bucket.putIfAbsent('claims/1.json', '{}'), true);
  await s.bucket.uploadFile('01X/index', file);
  t.same(
    s.requests.map((r) => r.split(' ')[0]),
    ['PUT', 'PUT', 'PUT'],
    `three uploads, three requests: ${s.requests.join(', ')}`,
  );
  t.equal(s.blobs.get('/devstoreaccount1/blobs/01X/index')?.byteLength, 10_000);
});

for (const [what, alter, code] of DAMAGES) {
  t.test(`an upload the store ${what} fails with ${code} and is deleted`, async (t) => {
    const s = await store(t);
    const errors = await damagedUploadErrors(s.bucket, await tempDir(t), () => s.alterNext(alter));
    for (const [name, err] of errors) t.ok(err instanceof BucketError && err.code === code, `${name}: ${String(err)}`);
    t.same([...s.blobs.keys()], [], 'no damaged blob is left');
  });
}

t.test('an answer without Content-MD5 leads to the properties request, which catches a damaged blob', async (t) => {
  const s = await store(t);
  s.bareNext();
  await s.bucket.put('ledger.json', '{"version":1}');
  t.same(
    s.requests.map((r) => r.split(' ')[0]),
    ['PUT', 'HEAD'],
    'the upload, then its properties',
  );
  s.bareNext();
  s.alterNext((d) => d.subarray(1));
  const err = await s.bucket.put('ledger.json', 'x'.repeat(100)).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof BucketError && err.code === 'PROMSHIP_BUCKET_SIZE_MISMATCH', String(err));
  t.same([...s.blobs.keys()], [], 'and the damaged blob is deleted');
});
