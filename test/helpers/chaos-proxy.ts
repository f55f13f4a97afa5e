/**
 * A misbehaving network between promship and a real server (s3rver, fauxqs or Prometheus): an
 * HTTP proxy on 127.0.0.1 that passes requests through unchanged (the Host header too, so S3
 * signatures still verify) but, for a seeded-random share of them, injects the faults seen in the
 * field:
 * - `reset`: the connection is destroyed, either before the request reaches the server or after
 *   the server has acted on it (the write happened, the answer is lost);
 * - `error500` / `slowdown503`: an error answer in the server's own dialect (S3 XML
 *   `InternalError` / `SlowDown`, or plain text for Prometheus); the server never sees the request;
 * - `stall`: the request is swallowed and the connection held silent until the client gives up
 *   (its timeout) or `stallMaxMs` passes;
 * - `slowBody`: the real answer, dripped in small pieces with short gaps (each gap well below the
 *   client's timeout, so it must succeed, only slowly);
 * - `truncate`: the real answer's headers and part of its body, then the connection is destroyed
 *   (never a clean end: a cut body must look cut to the client, as on a real network).
 *
 * Decisions are drawn from `seededRandom(seed)` in request arrival order, so a run with the same
 * seed and the same request order replays the same faults. `stats` counts requests and faults by
 * kind and by operation, for the reports. `interruptNext` pauses one matching answer mid-body and
 * runs an action (e.g. restarting Prometheus) before letting the rest through or dropping it.
 */
import { appendFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { seededRandom } from './seeded-random.ts';

export const FAULT_KINDS = ['reset', 'error500', 'slowdown503', 'stall', 'slowBody', 'truncate'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ChaosProxyOptions {
  /** `http://127.0.0.1:<port>` of the real server. */
  upstream: string;
  /** Shapes the injected error answers. */
  dialect: 's3' | 'gcs' | 'prometheus';
  /** Share of eligible requests that get a fault, 0..1. Can be changed later on the proxy. */
  rate: number;
  seed: number;
  /** The mix; each fault picks uniformly among these. Default: all kinds. */
  kinds?: readonly FaultKind[];
  /** Which requests may be faulted (default: all). */
  eligible?: (req: { method: string; path: string }) => boolean;
  /** A stalled connection is destroyed after this long if the client has not given up (default 30 s). */
  stallMaxMs?: number;
  /** How long one answer may be dripped before the rest flows freely (default 1500 ms). */
  slowBudgetMs?: number;
  /**
   * Appends one JSON line per request (arrival, end, operation, path, fault, status) to this
   * file: where a scenario's time went. `FAULT_TRACE_DIR` sets it for every proxy of a test run.
   */
  traceFile?: string;
}

export interface OperationStats {
  requests: number;
  faults: number;
  /** Answer body bytes passed to the client. */
  bytes: number;
}

export interface ChaosStats {
  requests: number;
  faulted: number;
  byKind: Record<FaultKind, number>;
  /** By operation: S3 `PUT`, `GET`, `HEAD`, `DELETE`, `LIST`, `POST` (multipart); Prometheus `read`, `config`, `metrics`, … */
  byOperation: Record<string, OperationStats>;
  /** Upstream connections that failed (server down): passed on as a destroyed connection. */
  upstreamErrors: number;
}

export interface Interruption {
  /** Which answer to interrupt. */
  match: (req: { method: string; path: string }) => boolean;
  /** Body bytes passed to the client before the pause. */
  afterBytes: number;
  /** Runs while the answer is paused (the server blocks on a full socket). */
  action: () => Promise<void>;
  /**
   * After the action: `drain` passes on whatever the server still sends; `drop` loses the rest
   * and resets the client's connection, as when a pod goes away with its network namespace and
   * the bytes its kernel still held for the client.
   */
  then: 'drain' | 'drop';
}

export interface InterruptionOutcome {
  /** Body bytes the client got in all. */
  bytes: number;
  /** Whether the server ended the answer properly after all (it had written it all before the action). */
  endedCleanly: boolean;
}

export interface ChaosProxy {
  url: string;
  /** Current fault rate; set to 0 to let everything through. */
  rate: number;
  readonly stats: ChaosStats;
  /** Arms a one-shot interruption; resolves once the interrupted answer is over. */
  interruptNext(i: Interruption): Promise<InterruptionOutcome>;
  /** A one-line summary for test comments and RELIABILITY.md. */
  summary(): string;
  close(): Promise<void>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

type Armed = Interruption & { done: (o: InterruptionOutcome) => void };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startChaosProxy(t: Teardown, opts: ChaosProxyOptions): Promise<ChaosProxy> {
  const target = new URL(opts.upstream);
  const rnd = seededRandom(opts.seed);
  const kinds = opts.kinds ?? FAULT_KINDS;
  const stallMaxMs = opts.stallMaxMs ?? 30_000;
  const slowBudgetMs = opts.slowBudgetMs ?? 1500;
  const traceFile =
    opts.traceFile ??
    (process.env.FAULT_TRACE_DIR
      ? `${process.env.FAULT_TRACE_DIR}/chaos-${process.pid}-${Date.now()}.jsonl`
      : undefined);
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const stats: ChaosStats = {
    requests: 0,
    faulted: 0,
    byKind: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    byOperation: {},
    upstreamErrors: 0,
  };
  let interruption: Armed | undefined;

  const operationOf = (method: string, path: string): string => {
    const url = new URL(path, 'http://x');
    if (opts.dialect === 'prometheus') {
      if (url.pathname.endsWith('/api/v1/read')) return 'read';
      if (url.pathname.endsWith('/api/v1/status/config')) return 'config';
      if (url.pathname.endsWith('/metrics')) return 'metrics';
      return url.pathname;
    }
    if (method === 'GET' && (url.searchParams.has('list-type') || url.searchParams.has('prefix'))) return 'LIST';
    if (opts.dialect === 'gcs' && url.searchParams.has('upload_id')) return `${method} (resumable)`;
    return method;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const operation = operationOf(method, path);
    stats.requests++;
    if (traceFile !== undefined) {
      const n = stats.requests;
      const at = Date.now();
      res.once('close', () => {
        const line = { n, at: new Date(at).toISOString(), ms: Date.now() - at, operation, path, fault: kind ?? null };
        appendFileSync(traceFile, `${JSON.stringify({ ...line, status: res.headersSent ? res.statusCode : null })}\n`);
      });
    }
    const op = (stats.byOperation[operation] ??= { requests: 0, faults: 0, bytes: 0 });
    op.requests++;
    // Every random draw happens here, at arrival, so one seed gives one sequence of decisions.
    const roll = rnd.next();
    const kind = roll < proxy.rate && (opts.eligible?.({ method, path }) ?? true) ? rnd.pick(kinds) : undefined;
    const resetAfter = rnd.next() < 0.5;
    const cutFraction = rnd.next();
    if (kind !== undefined) {
      stats.faulted++;
      stats.byKind[kind]++;
      op.faults++;
    }

    if (kind === 'reset' && !resetAfter) {
      req.socket.destroy();
      return;
    }
    if (kind === 'error500' || kind === 'slowdown503') {
      req.resume();
      req.on('end', () => sendError(res, kind, method, opts.dialect, path));
      return;
    }
    if (kind === 'stall') {
      req.resume();
      const timer = setTimeout(() => {
        timers.delete(timer);
        req.socket.destroy();
      }, stallMaxMs);
      timers.add(timer);
      req.socket.once('close', () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
      return;
    }

    const up = request({
      host: target.hostname,
      port: target.port,
      method,
      path,
      headers: req.headers,
      // A fresh connection per request: a faulted exchange never poisons a pooled one.
      agent: false,
    });
    up.on('error', () => {
      stats.upstreamErrors++;
      req.socket.destroy();
    });
    // The client went away (its timeout, or promship stopping): so does the request upstream.
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
    up.on('response', (upRes) => {
      upRes.on('error', () => req.socket.destroy());
      upRes.on('aborted', () => req.socket.destroy());
      if (kind === 'reset') {
        // The server did its part; the client never hears of it.
        upRes.resume();
        upRes.on('end', () => req.socket.destroy());
        return;
      }
      const hasBody = method !== 'HEAD' && upRes.statusCode !== 204 && upRes.statusCode !== 304;
      const length = Number(upRes.headers['content-length'] ?? NaN);
      if (kind === 'truncate' && (!hasBody || length === 0)) {
        // Nothing to cut: the answer is lost as a whole instead.
        upRes.resume();
        upRes.on('end', () => req.socket.destroy());
        return;
      }
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      const armed = interruption && interruption.match({ method, path }) ? interruption : undefined;
      if (armed) interruption = undefined;
      const cutAt =
        kind !== 'truncate'
          ? Infinity
          : Number.isFinite(length)
            ? Math.floor(cutFraction * length)
            : chunkedCut(cutFraction);
      void forwardBody(upRes, res, req.socket, { cutAt, slow: kind === 'slowBody', armed }).then((outcome) => {
        op.bytes += outcome.bytes;
        armed?.done(outcome);
      });
    });
  };

  const forwardBody = async (
    upRes: IncomingMessage,
    res: ServerResponse,
    client: Socket,
    how: { cutAt: number; slow: boolean; armed: Armed | undefined },
  ): Promise<InterruptionOutcome> => {
    let sent = 0;
    const slowUntil = Date.now() + slowBudgetMs;
    try {
      for await (const piece of upRes as AsyncIterable<Buffer>) {
        let chunk = piece;
        while (chunk.length > 0) {
          if (client.destroyed) return { bytes: sent, endedCleanly: false };
          let n = chunk.length;
          if (sent + n > how.cutAt) n = how.cutAt - sent;
          if (how.slow && Date.now() < slowUntil) n = Math.min(n, 512 + Math.floor(Math.random() * 1536));
          if (how.armed && sent < how.armed.afterBytes) n = Math.min(n, how.armed.afterBytes - sent);
          if (n > 0) {
            const ok = res.write(chunk.subarray(0, n));
            sent += n;
            chunk = chunk.subarray(n);
            if (!ok)
              await new Promise<void>((resolve) => {
                res.once('drain', resolve);
                res.once('close', resolve);
              });
          }
          if (sent >= how.cutAt) {
            // Let the bytes leave before the cut, so the client sees a partial body, not a reset.
            await sleep(20);
            client.destroy();
            upRes.destroy();
            return { bytes: sent, endedCleanly: false };
          }
          if (how.armed && sent >= how.armed.afterBytes) {
            const armed = how.armed;
            how.armed = undefined;
            // Not reading from upstream now: the server blocks writing into a full socket.
            await armed.action();
            if (armed.then === 'drop') {
              upRes.destroy();
              client.destroy();
              return { bytes: sent, endedCleanly: false };
            }
          }
          if (how.slow && Date.now() < slowUntil) await sleep(5 + Math.floor(Math.random() * 20));
        }
      }
      // A truncated answer never ends cleanly, even when the whole body fitted before the cut
      // (the client must then notice the missing end of a chunked body).
      if (how.cutAt === Infinity && !client.destroyed) {
        res.end();
        return { bytes: sent, endedCleanly: true };
      }
      client.destroy();
      return { bytes: sent, endedCleanly: false };
    } catch {
      // The server dropped the answer mid-body: so does the proxy, which the client sees as a cut.
      client.destroy();
      return { bytes: sent, endedCleanly: false };
    }
  };

  const server = createServer(handle);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // A client error (its own reset) must not take the proxy down.
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const proxy: ChaosProxy = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    rate: opts.rate,
    stats,
    interruptNext(i) {
      return new Promise<InterruptionOutcome>((resolve) => {
        interruption = { ...i, done: resolve };
      });
    },
    summary() {
      const kindsText = FAULT_KINDS.filter((k) => stats.byKind[k] > 0)
        .map((k) => `${k}=${stats.byKind[k]}`)
        .join(' ');
      const ops = Object.entries(stats.byOperation)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}:${v.faults}/${v.requests}:${v.bytes}B`)
        .join(' ');
      return `requests=${stats.requests} faulted=${stats.faulted} (${kindsText}) byOperation(faulted/requests:bytes)=[${ops}] upstreamErrors=${stats.upstreamErrors}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
  t.teardown(() => proxy.close());
  return proxy;
}

/**
 * Where to cut a chunked answer of unknown length: a quarter of the time after all of its data,
 * withholding only the final empty chunk (the subtlest cut: every frame arrived whole), otherwise
 * within its first 256 KiB.
 */
function chunkedCut(fraction: number): number {
  return fraction < 0.25 ? Number.MAX_SAFE_INTEGER : Math.floor(((fraction - 0.25) / 0.75) * 256 * 1024);
}

function sendError(
  res: ServerResponse,
  kind: 'error500' | 'slowdown503',
  method: string,
  dialect: 's3' | 'gcs' | 'prometheus',
  path: string,
): void {
  const status = kind === 'error500' ? 500 : 503;
  let body: string;
  let type: string;
  if (dialect === 's3') {
    const [code, message] =
      kind === 'error500'
        ? ['InternalError', 'We encountered an internal error. Please try again.']
        : ['SlowDown', 'Please reduce your request rate.'];
    const resource = new URL(path, 'http://x').pathname;
    body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${resource}</Resource><RequestId>chaos${Date.now()}</RequestId></Error>`;
    type = 'application/xml';
  } else if (dialect === 'gcs') {
    // The GCS JSON API's error shape.
    const message = kind === 'error500' ? 'Internal Error' : 'We encountered an internal error. Please try again.';
    body = JSON.stringify({
      error: {
        code: status,
        message,
        errors: [{ reason: kind === 'error500' ? 'backendError' : 'rateLimitExceeded', message }],
      },
    });
    type = 'application/json; charset=UTF-8';
  } else {
    body =
      kind === 'error500'
        ? 'injected fault: internal server error\n'
        : 'injected fault: service unavailable, try again later\n';
    type = 'text/plain; charset=utf-8';
  }
  const headers: Record<string, string | number> = { 'content-type': type, 'content-length': Buffer.byteLength(body) };
  if (kind === 'slowdown503') headers['retry-after'] = 1;
  res.writeHead(status, headers);
  // A HEAD answer has headers only, as S3 sends it.
  res.end(method === 'HEAD' ? undefined : body);
}
