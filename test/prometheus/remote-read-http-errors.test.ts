/**
 * Transport and HTTP failures: error statuses, a closed port, a server that stalls, a cancelled
 * read. Each rejects with its own code and names the window.
 */
import t from 'tap';
import { RemoteReadError } from '../../src/prometheus/errors.ts';
import { RemoteReadClient, type RemoteReadClientOptions } from '../../src/prometheus/remote-read.ts';
import type { Window } from '../../src/series.ts';
import { freePort } from '../helpers/prometheus.ts';
import {
  chunkedReadResponse,
  frame,
  startFakeServer,
  STREAMED_CONTENT_TYPE,
  type Checks,
} from '../helpers/remote-read-wire.ts';

const WINDOW: Window = { start: Date.UTC(2024, 5, 1, 0), end: Date.UTC(2024, 5, 1, 2) };
const WINDOW_TEXT = '2024-06-01T00:00:00.000Z–2024-06-01T02:00:00.000Z';

async function readError(
  t: Checks,
  options: Partial<RemoteReadClientOptions> & { url: string },
  readOpts: { signal?: AbortSignal } = {},
): Promise<RemoteReadError> {
  const client = new RemoteReadClient({ timeoutMs: 5000, ...options });
  t.teardown(() => client.close());
  try {
    for await (const _ of client.read(WINDOW, readOpts)) {
      // drain
    }
  } catch (err) {
    t.ok(err instanceof RemoteReadError, 'a RemoteReadError');
    const e = err as RemoteReadError;
    t.match(e.message, WINDOW_TEXT, 'names the window');
    return e;
  }
  throw new Error('the read was expected to fail');
}

for (const [status, body, advice] of [
  [400, 'exceeded sample limit (50000000)', /read-sample-limit/],
  [401, 'Unauthorized', /credentials/],
  [404, '404 page not found', /route-prefix/],
  [500, 'opening querier: block 01H... not found', /see its log/],
  [503, 'too many concurrent remote read requests', /retry later/],
] as const) {
  t.test(`HTTP ${status}`, async (t) => {
    const server = await startFakeServer(t, (_req, res) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(`${body}\n`);
    });
    const err = await readError(t, { url: server.url });
    t.equal(err.code, 'PROMSHIP_REMOTE_READ_HTTP');
    t.equal(err.status, status);
    t.match(err.message, `HTTP ${status}: "${body}"`, 'quotes the answer');
    t.match(err.message, advice, 'says what to do');
  });
}

t.test('connection refused', async (t) => {
  const port = await freePort(); // free, so nothing listens there
  const err = await readError(t, { url: `http://127.0.0.1:${port}` });
  t.equal(err.code, 'PROMSHIP_REMOTE_READ_CONNECT');
  t.match(err.message, /ECONNREFUSED/);
});

t.test('a server that never answers times out', async (t) => {
  const server = await startFakeServer(t, () => {
    // never respond
  });
  const err = await readError(t, { url: server.url, timeoutMs: 300 });
  t.equal(err.code, 'PROMSHIP_REMOTE_READ_TIMEOUT');
  t.match(err.message, /300 ms/);
});

t.test('a server that stalls in the middle of the body times out', async (t) => {
  const server = await startFakeServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': STREAMED_CONTENT_TYPE });
    res.write(frame(chunkedReadResponse([{ labels: [['__name__', 'x']], chunks: [] }])));
    // and then nothing
  });
  const err = await readError(t, { url: server.url, timeoutMs: 300 });
  t.equal(err.code, 'PROMSHIP_REMOTE_READ_TIMEOUT');
});

t.test('a cancelled read', async (t) => {
  const server = await startFakeServer(t, () => {
    // never respond
  });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const err = await readError(t, { url: server.url }, { signal: controller.signal });
  t.equal(err.code, 'PROMSHIP_REMOTE_READ_ABORTED');
});

t.test('an invalid window is refused before any request', async (t) => {
  const server = await startFakeServer(t, (_req, res) => {
    res.end();
  });
  const client = new RemoteReadClient({ url: server.url, timeoutMs: 1000 });
  t.teardown(() => client.close());
  for (const w of [
    { start: 10, end: 10 },
    { start: 0.5, end: 10 },
  ]) {
    await t.rejects(
      (async () => {
        for await (const _ of client.read(w)) {
          // drain
        }
      })(),
      { code: 'PROMSHIP_REMOTE_READ_INVALID_REQUEST' },
    );
  }
  t.equal(server.requests.length, 0);
});
