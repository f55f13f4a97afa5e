/**
 * A pass-through HTTP proxy in front of a real Prometheus that can make remote read fail (HTTP
 * 503), so a test can force window failures while the config and metrics APIs keep answering, or
 * make it slow, so that a run lasts long enough for another one to start beside it.
 */
import { startPassThroughProxy } from './pass-through-proxy.ts';

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
  const proxy: FaultProxy = { url: '', failReads: false, delayReadsMs: 0, close: async () => undefined };
  const server = await startPassThroughProxy(t, upstream, (req, res, pass) => {
    if (!req.url?.startsWith('/api/v1/read')) return false;
    if (proxy.failReads) {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('injected failure: remote read unavailable\n');
      return true;
    }
    if (proxy.delayReadsMs <= 0) return false;
    req.pause();
    setTimeout(pass, proxy.delayReadsMs);
    return true;
  });
  proxy.url = server.url;
  proxy.close = () => server.close();
  return proxy;
}
