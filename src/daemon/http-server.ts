/**
 * The agent's HTTP face: `/metrics` for Prometheus, `/healthz` (the process is alive and its loop
 * is not wedged) and `/readyz` (configured, Prometheus and the bucket reachable, not failing run
 * after run) for Kubernetes probes.
 */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { parseListenAddress } from '../config/listen-address.ts';

// Not `import ... from 'node:http'`: on Node 22 an ES import of a built-in reads every export, and
// node:http's lazy `WebSocket` export then loads Node's bundled undici, 4 MiB of the idle agent's
// memory for nothing (bench/idle-rss.ts). require() reads only what is asked for.
const { createServer } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export interface Probe {
  ok: boolean;
  /** Shown in the probe's body, so `kubectl describe` tells why. */
  detail: string;
}

export interface HttpHandlers {
  registry: Registry;
  health: () => Probe;
  ready: () => Promise<Probe>;
}

export async function startHttpServer(
  address: string,
  handlers: HttpHandlers,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    if (path === '/metrics') {
      handlers.registry.metrics().then(
        (text) => send(200, text, handlers.registry.contentType),
        (err: unknown) => send(500, `metrics failed: ${err instanceof Error ? err.message : String(err)}\n`),
      );
      return;
    }
    if (path === '/healthz') {
      const p = handlers.health();
      return send(p.ok ? 200 : 503, `${p.detail}\n`);
    }
    if (path === '/readyz') {
      handlers.ready().then(
        (p) => send(p.ok ? 200 : 503, `${p.detail}\n`),
        (err: unknown) => send(503, `readiness check failed: ${err instanceof Error ? err.message : String(err)}\n`),
      );
      return;
    }
    if (path === '/') return send(200, 'promship: see /metrics, /healthz, /readyz\n');
    send(404, 'not found\n');
  });
  const { host, port } = parseListenAddress(address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
