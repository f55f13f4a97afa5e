/**
 * A pass-through HTTP proxy in front of a real Prometheus that can make remote read fail (HTTP
 * 503), so a test can force window failures while the config and metrics APIs keep answering, or
 * make it slow, so that a run lasts long enough for another one to start beside it.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultProxy {
  url: string;
  /** When true, `POST /api/v1/read` answers 503. */
  failReads: boolean;
  /** Holds each `POST /api/v1/read` this long before passing it on: a run that takes a while. */
  delayReadsMs: number;
  close(): Promise<void>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function startFaultProxy(t: Teardown, upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const proxy: FaultProxy = { url: '', failReads: false, delayReadsMs: 0, close: async () => undefined };
  const server = createServer((req, res) => {
    if (proxy.failReads && req.url?.startsWith('/api/v1/read')) {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('injected failure: remote read unavailable\n');
      return;
    }
    if (proxy.delayReadsMs > 0 && req.url?.startsWith('/api/v1/read')) {
      req.pause();
      setTimeout(() => pass(req, res), proxy.delayReadsMs);
      return;
    }
    pass(req, res);
  });
  const pass = (req: IncomingMessage, res: ServerResponse): void => {
    const up = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  t.teardown(() => proxy.close());
  return proxy;
}
