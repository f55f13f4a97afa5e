/**
 * Answers real S3-compatible stores (and what stands in front of them) give, which s3rver and
 * fauxqs do not, from a node:http stub: a skewed clock is 403 RequestTimeTooSkewed on S3 and
 * MinIO, and must be told apart from wrong keys; a 200 answer to a listing that is no listing (an
 * HTML page) must fail the listing rather than read as an empty bucket.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { S3Bucket } from '../../src/bucket/s3-bucket.ts';
import { BucketError } from '../../src/errors.ts';

async function bucketAnswering(
  t: { teardown: (fn: () => void) => void },
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<S3Bucket> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return new S3Bucket({
    bucket: 'bkt',
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    maxAttempts: 1,
    requestTimeoutMs: 3000,
    checksumMode: 'when-required',
  });
}

function failureOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (err: unknown) => err,
  );
}

t.test('403 RequestTimeTooSkewed says to fix the clock, not the keys', async (t) => {
  const bucket = await bucketAnswering(t, (_req, res) => {
    res.writeHead(403, { 'content-type': 'application/xml', date: new Date().toUTCString() });
    res.end(
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>RequestTimeTooSkewed</Code>' +
        '<Message>The difference between the request time and the current time is too large.</Message></Error>',
    );
  });
  const err = await failureOf(bucket.listChildren(''));
  t.ok(err instanceof BucketError, 'a BucketError');
  t.not((err as BucketError).code, 'PROMSHIP_BUCKET_ACCESS_DENIED', 'not access denied');
  t.match((err as BucketError).message, /clock/, `it names the clock: ${(err as Error).message}`);
});

t.test('a 403 AccessDenied is still access denied', async (t) => {
  const bucket = await bucketAnswering(t, (_req, res) => {
    res.writeHead(403, { 'content-type': 'application/xml' });
    res.end(
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
    );
  });
  const err = await failureOf(bucket.listChildren(''));
  t.equal((err as BucketError).code, 'PROMSHIP_BUCKET_ACCESS_DENIED');
});

t.test('an HTML page answering a listing fails it instead of reading as an empty bucket', async (t) => {
  const bucket = await bucketAnswering(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><body>Welcome to nginx!</body></html>');
  });
  for (const list of [() => bucket.listChildren(''), () => bucket.listObjects('')]) {
    const err = await failureOf(list());
    t.ok(err instanceof BucketError, `a BucketError, not a listing: ${String(err)}`);
    t.equal((err as BucketError).code, 'PROMSHIP_BUCKET_REQUEST');
    t.match((err as BucketError).message, /not a listing; check that the endpoint/);
  }
});

t.test('an empty listing is still an empty listing', async (t) => {
  const bucket = await bucketAnswering(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(
      '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        '<Name>bkt</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>' +
        '</ListBucketResult>',
    );
  });
  t.same(await bucket.listChildren(''), []);
});
