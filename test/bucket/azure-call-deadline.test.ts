/**
 * A store that accepts the connection and never answers must fail the call, not hold the run
 * forever, and one unanswered request must cost one try, not the call: the Azure SDK's try
 * timeout does not end such a try, so AzureBucket ends each try itself and retries it. Judged
 * against node:http servers that never answer, or answer all but the first request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { openAzureBucket, type AzureBucket } from '../../src/bucket/azure-bucket.ts';

// Each subtest waits out its own server's deadlines; they share nothing, so they wait together.
t.jobs = 4;

// Azurite's well-known development key: not a secret.
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** A bucket on a node:http server answering with `handle`, stopped with the test. */
async function bucketServedBy(
  t: Test,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  maxTries: number,
): Promise<AzureBucket> {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return openAzureBucket({
    container: 'stalls',
    connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`,
    maxTries,
    tryTimeoutMs: 300,
  });
}

void t.test('a silent store fails each call with PROMSHIP_BUCKET_TIMEOUT within its deadline', async (t) => {
  const bucket = await bucketServedBy(
    t,
    (req) => {
      req.resume(); // reads the request, never answers
    },
    2,
  );
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
  const bucket = await bucketServedBy(
    t,
    (req, res) => {
      req.resume();
      requests++;
      if (requests === 1) return; // the first request never gets an answer
      req.on('end', () => {
        // GetBlobProperties (HEAD): the blob's size is the Content-Length.
        res.writeHead(200, { 'Content-Length': '42', ETag: '"0x8D0"', 'x-ms-blob-type': 'BlockBlob' });
        res.end();
      });
    },
    3,
  );
  const info = await bucket.stat('a/meta.json');
  t.equal(info?.size, 42, 'the second try answered the call');
  t.equal(requests, 2, 'one stalled try, then one that was answered');
  await bucket.close();
});
