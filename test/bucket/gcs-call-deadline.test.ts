/**
 * A GCS call must end even where the SDK never settles it, and a silent store must not hold a
 * run: @google-cloud/storage 7.22 loses the promise of `download()` when a 404 answer's body is
 * cut (no socket, no timer left; found by the 30 % fault test, seed 372466), so GcsBucket races
 * every try against the request timeout plus a grace. Judged against node:http servers that cut
 * every answer's body, or never answer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { GcsBucket } from '../../src/bucket/gcs-bucket.ts';

// Each subtest waits out its own server's deadlines (about 2.5 s); they share nothing, so they wait together.
t.jobs = 4;

async function server(
  t: { teardown(fn: () => unknown): void },
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> {
  const s = createServer(handle);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    s.closeAllConnections();
    s.close();
  });
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/** Every answer: the status and headers of a JSON error, half of its body, then a cut connection. */
function cutAnswer(status: number) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ error: { code: status, message: 'No such object: b/p/meta.json' } });
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.write(body.slice(0, 20));
      setTimeout(() => res.socket?.destroy(), 20);
    });
  };
}

const calls = (b: GcsBucket): [string, () => Promise<unknown>][] => [
  ['get', () => b.get('a/meta.json')],
  ['stat', () => b.stat('a/meta.json')],
  ['put', () => b.put('a/ledger.json', '{}')],
  ['putIfAbsent', () => b.putIfAbsent('a/claim.json', '{}')],
  ['listChildren', () => b.listChildren('')],
  ['delete', () => b.delete('a/x')],
];

async function judge(t: Test, b: GcsBucket, codes: RegExp): Promise<void> {
  // All at once: each call is judged on its own clock, and the file stays quick.
  await Promise.all(
    calls(b).map(async ([name, call]) => {
      const started = Date.now();
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      t.match(err, { code: codes }, `${name}: fails with a stable code`);
      // One try of 300 ms plus the 2 s grace: far below this limit.
      t.ok(Date.now() - started < 30_000, `${name}: ends, not held open`);
    }),
  );
}

void t.test('a 404 whose body is cut fails get() instead of never settling', async (t) => {
  const endpoint = await server(t, cutAnswer(404));
  const b = new GcsBucket({ bucket: 'b', apiEndpoint: endpoint, maxAttempts: 2, requestTimeoutMs: 300 });
  const started = Date.now();
  const err = await b.get('a/meta.json').then(
    () => undefined,
    (e: unknown) => e,
  );
  t.match(err, { code: 'PROMSHIP_BUCKET_TIMEOUT' }, 'fails as a timeout');
  t.ok(Date.now() - started < 30_000, 'within the deadline');
});

void t.test('every call on answers cut mid-body ends with a PROMSHIP_BUCKET_* code', async (t) => {
  const endpoint = await server(t, cutAnswer(500));
  const b = new GcsBucket({ bucket: 'b', apiEndpoint: endpoint, maxAttempts: 1, requestTimeoutMs: 300 });
  await judge(t, b, /^PROMSHIP_BUCKET_(TIMEOUT|UNREACHABLE|SERVER_ERROR)$/);
});

void t.test('a silent store fails each call with PROMSHIP_BUCKET_TIMEOUT', async (t) => {
  const endpoint = await server(t, (req) => {
    req.resume(); // reads the request, never answers
  });
  const b = new GcsBucket({ bucket: 'b', apiEndpoint: endpoint, maxAttempts: 1, requestTimeoutMs: 300 });
  await judge(t, b, /^PROMSHIP_BUCKET_TIMEOUT$/);
});

void t.test("the caller's signal ends a call at once, whatever the SDK does", async (t) => {
  const endpoint = await server(t, (req) => {
    req.resume();
  });
  const b = new GcsBucket({ bucket: 'b', apiEndpoint: endpoint, maxAttempts: 5, requestTimeoutMs: 60_000 });
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 200);
  const started = Date.now();
  const err = await b.get('a/meta.json', { signal: stop.signal }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.match(err, { code: 'PROMSHIP_BUCKET_ABORTED' }, 'fails as aborted');
  t.ok(Date.now() - started < 5_000, 'promptly, not after the 60 s request timeout');
});
