/**
 * An HTTP proxy in front of a test S3 server that behaves like an S3-compatible store keeping
 * more bytes than it was sent (as stores do that save the aws-chunked framing of a body): the
 * body of every PUT whose path matches `grow` reaches the server with `extra` appended. s3rver
 * checks key ids but not payload signatures, so it stores the grown object as sent.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GrowingS3Proxy {
  /** `http://127.0.0.1:<port>`, to use as the S3 endpoint. */
  endpoint: string;
  /** PUTs whose path matches are grown; set to `null` to pass everything through unchanged. */
  grow: RegExp | null;
  /** Paths of the PUTs that were grown so far. */
  grown: string[];
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export const EXTRA = Buffer.from('\r\n0;chunk-signature=0000\r\n\r\n');

export async function startGrowingS3Proxy(t: Teardown, upstream: string, grow: RegExp): Promise<GrowingS3Proxy> {
  const target = new URL(upstream);
  const proxy: GrowingS3Proxy = { endpoint: '', grow, grown: [] };
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      let body = Buffer.concat(parts);
      const headers = { ...req.headers };
      if (req.method === 'PUT' && proxy.grow?.test(req.url ?? '') && body.length > 0) {
        body = Buffer.concat([body, EXTRA]);
        headers['content-length'] = String(body.length);
        proxy.grown.push(req.url ?? '');
      }
      const up = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return proxy;
}
