/**
 * An HTTP proxy on a free loopback port that passes every request to `upstream` unchanged,
 * unless `intercept` answers it first (return true once it has written the response). The tests'
 * fault proxies are this plus their own `intercept`: a store that throttles, a Prometheus whose
 * reads fail, a count of what went through. Closed at teardown.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * Sees each request first: returns true once it has taken the request over (answered it, or
 * will call `pass` later to forward it after all).
 */
export type Intercept = (req: IncomingMessage, res: ServerResponse, pass: () => void) => boolean;

export interface PassThroughProxy {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

export async function startPassThroughProxy(
  t: Teardown,
  upstream: string,
  intercept: Intercept = () => false,
): Promise<PassThroughProxy> {
  const target = new URL(upstream);
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
  const server = createServer((req, res) => {
    if (!intercept(req, res, () => pass(req, res))) pass(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  t.teardown(close);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close };
}
