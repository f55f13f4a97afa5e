/**
 * A store that accepts the connection and never answers must fail the call, not hold the run
 * forever: the Azure SDK's try timeout does not end such a try, so AzureBucket gives every call
 * a deadline of its own (try timeout × tries). Judged against a silent node:http server.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { openAzureBucket } from '../../src/bucket/azure-bucket.ts';

// Azurite's well-known development key: not a secret.
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

void t.test('a silent store fails each call with PROMSHIP_BUCKET_TIMEOUT within its deadline', async (t) => {
  const server = createServer((req) => {
    req.resume(); // reads the request, never answers
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  const bucket = await openAzureBucket({
    container: 'silent',
    connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`,
    maxTries: 2,
    tryTimeoutMs: 300,
  });
  const calls: [string, () => Promise<unknown>][] = [
    ['get', () => bucket.get('a/meta.json')],
    ['stat', () => bucket.stat('a/meta.json')],
    ['put', () => bucket.put('a/ledger.json', '{}')],
    ['putIfAbsent', () => bucket.putIfAbsent('a/claim.json', '{}')],
    ['listChildren', () => bucket.listChildren('')],
    ['delete', () => bucket.delete('a/x')],
  ];
  // All at once: each is judged on its own clock, and the file stays quick.
  await Promise.all(
    calls.map(async ([name, call]) => {
      const started = Date.now();
      // 2 × 300 ms tries, no wait between them and a 2 s grace: far below this limit.
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      t.match(err, { code: 'PROMSHIP_BUCKET_TIMEOUT' }, `${name}: fails as a timeout`);
      t.ok(Date.now() - started < 30_000, `${name}: within the deadline, not held open`);
    }),
  );
  await bucket.close();
});

void t.test('a try that gets no answer is tried again: a stalled request costs one try, not the call', async (t) => {
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    requests++;
    if (requests === 1) return; // the first request never gets an answer
    req.on('end', () => {
      // GetBlobProperties (HEAD): the blob's size is the Content-Length.
      res.writeHead(200, { 'Content-Length': '42', ETag: '"0x8D0"', 'x-ms-blob-type': 'BlockBlob' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  const bucket = await openAzureBucket({
    container: 'stalls',
    connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`,
    maxTries: 3,
    tryTimeoutMs: 300,
  });
  const info = await bucket.stat('a/meta.json');
  t.equal(info?.size, 42, 'the second try answered the call');
  t.equal(requests, 2, 'one stalled try, then one that was answered');
  await bucket.close();
});
