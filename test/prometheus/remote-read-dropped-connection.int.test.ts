/**
 * A kept-alive connection that Prometheus, or a proxy in front of it, closes just as the next
 * request goes out on it: undici fails that request before any answer. The client sends it once
 * more, on a fresh connection, so the window does not fail for it; a server that drops every
 * request still fails the window, after that one more try.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import t from 'tap';
import { RemoteReadError } from '../../src/prometheus/errors.ts';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import type { SeriesChunks, Window } from '../../src/series.ts';
import { startPassThroughProxy } from '../helpers/pass-through-proxy.ts';
import { readAll, samplesOf } from '../helpers/remote-read-checks.ts';
import { HOUR, labelsKey, startFixture, T0 } from '../helpers/remote-read-fixture.ts';

const WINDOWS: Window[] = [
  { start: T0, end: T0 + 2 * HOUR },
  { start: T0 + 2 * HOUR, end: T0 + 4 * HOUR },
  { start: T0 + 4 * HOUR, end: T0 + 6 * HOUR },
];

/** Requests a connection has carried so far, this one included. */
const served = new WeakMap<Socket, number>();
function countOnSocket(req: IncomingMessage): number {
  const n = (served.get(req.socket) ?? 0) + 1;
  served.set(req.socket, n);
  return n;
}

const seriesText = (s: SeriesChunks): string => `${labelsKey(s.labels)} ${JSON.stringify(samplesOf(s))}`;

t.test('a request the server drops on a kept-alive connection is sent again, and the reads are whole', async (t) => {
  const fixture = await startFixture(t);
  let dropped = 0;
  // Every connection serves one request; the next one on it is dropped unanswered, as by a
  // server whose idle timeout ends just then.
  const proxy = await startPassThroughProxy(t, fixture.prometheus.url, (req) => {
    if (countOnSocket(req) === 1) return false;
    dropped++;
    req.socket.destroy();
    return true;
  });
  const direct = new RemoteReadClient({ url: fixture.prometheus.url, timeoutMs: 30_000 });
  const client = new RemoteReadClient({ url: proxy.url, timeoutMs: 30_000 });
  t.teardown(() => Promise.all([direct.close(), client.close()]));

  t.same(await client.externalLabels(), await direct.externalLabels(), 'external labels');
  for (const window of WINDOWS) {
    const [got, want] = await Promise.all([readAll(client, window), readAll(direct, window)]);
    t.ok(want.length > 20, `${want.length} series straight from Prometheus`);
    t.same(got.map(seriesText), want.map(seriesText), 'the same series, labels and samples, in the same order');
  }
  t.equal(await client.lowestTimestamp(), await direct.lowestTimestamp(), 'the oldest sample time');
  t.ok(dropped > 0, `the server dropped ${dropped} requests, and each was sent again`);
});

t.test('a server that drops every request fails the read after one more try', async (t) => {
  const fixture = await startFixture(t);
  let attempts = 0;
  const proxy = await startPassThroughProxy(t, fixture.prometheus.url, (req) => {
    if (!req.url?.startsWith('/api/v1/read')) return false;
    attempts++;
    req.socket.destroy();
    return true;
  });
  const client = new RemoteReadClient({ url: proxy.url, timeoutMs: 30_000 });
  t.teardown(() => client.close());

  const err = await readAll(client, WINDOWS[0]!).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof RemoteReadError, 'the read fails');
  t.equal((err as RemoteReadError).code, 'PROMSHIP_REMOTE_READ_CONNECT');
  t.match((err as RemoteReadError).message, /other side closed|ECONNRESET|EPIPE/, 'naming the closed connection');
  t.equal(attempts, 2, 'sent twice, not more');
});
