/**
 * A small node:http stub of the GCS JSON API for what the firebase-tools emulator does not do:
 * `ifGenerationMatch` preconditions (412), chunked resumable uploads (308 with `Range`), and a
 * store that damages what it is sent.
 * Objects are kept in memory; only the requests GcsBucket makes are understood. Bound to
 * 127.0.0.1 on a free port and closed at teardown.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32c } from '@node-rs/crc32';
import { createHash } from 'node:crypto';
import { requestBody } from './damaged-uploads.ts';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface StoredObject {
  data: Buffer;
  generation: number;
}

export interface GcsStub {
  endpoint: string;
  objects: Map<string, StoredObject>;
  /** Every request as `METHOD path?query`, in order. */
  requests: string[];
  /** The status of every answer, in order. */
  responses: number[];
  /**
   * Makes the next `n` PUTs to a resumable session fail after taking part of the body: the stub
   * keeps the first `keep` bytes and answers 503, so the client must ask (308) and resume.
   */
  failResumablePuts(n: number, keep: number): void;
  /**
   * Makes the next simple upload store `alter(bytes)` instead of what was sent, and answer with
   * what it stored, as a store damaging data on its way in would.
   */
  alterNextUpload(alter: (data: Buffer) => Buffer): void;
  /** Makes the next simple upload's answer leave out the object's size and CRC32C. */
  bareNextAnswer(): void;
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function meta(bucket: string, name: string, o: StoredObject): Record<string, string> {
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32c(o.data) >>> 0);
  return {
    kind: 'storage#object',
    bucket,
    name,
    generation: String(o.generation),
    size: String(o.data.byteLength),
    crc32c: crc.toString('base64'),
    md5Hash: createHash('md5').update(o.data).digest('base64'),
  };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

/** The media part of a multipart/related upload: metadata JSON, then the bytes. */
function multipart(req: IncomingMessage, raw: Buffer): { name?: string; data: Buffer } {
  const boundary = /boundary="?([^";]+)"?/.exec(req.headers['content-type'] ?? '')?.[1] ?? '';
  const sep = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let at = raw.indexOf(sep);
  while (at >= 0) {
    const next = raw.indexOf(sep, at + sep.length);
    if (next < 0) break;
    parts.push(raw.subarray(at + sep.length, next));
    at = next;
  }
  const content = (p: Buffer): Buffer => {
    const start = p.indexOf('\r\n\r\n') + 4;
    return p.subarray(start, p.length - 2);
  };
  const metaJson = JSON.parse(content(parts[0]!).toString('utf8')) as { name?: string };
  return { ...(metaJson.name !== undefined ? { name: metaJson.name } : {}), data: Buffer.from(content(parts[1]!)) };
}

export async function startGcsStub(t: Teardown): Promise<GcsStub> {
  const objects = new Map<string, StoredObject>();
  const requests: string[] = [];
  const responses: number[] = [];
  const sessions = new Map<string, { name: string; bucket: string; data: Buffer; ifGenerationMatch?: number }>();
  let generation = 1;
  let failPuts = 0;
  let failKeep = 0;
  let sessionCounter = 0;
  let alterUpload: ((data: Buffer) => Buffer) | undefined;
  let bareAnswer = false;

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      res.on('finish', () => responses.push(res.statusCode));
      requests.push(`${req.method} ${url.pathname}${url.search}`);
      const raw = await requestBody(req);
      const precondition = url.searchParams.get('ifGenerationMatch');
      const create = (bucket: string, name: string, data: Buffer, ifGen: number | undefined, bare = false): void => {
        const existing = objects.get(name);
        if (ifGen !== undefined && (existing?.generation ?? 0) !== ifGen) {
          json(res, 412, {
            error: { code: 412, message: 'At least one of the pre-conditions you specified did not hold.' },
          });
          return;
        }
        const o = { data, generation: generation++ };
        objects.set(name, o);
        const answer: Record<string, string> = meta(bucket, name, o);
        if (bare) {
          delete answer.size;
          delete answer.crc32c;
        }
        json(res, 200, answer);
      };
      // Simple (multipart) upload and resumable session start.
      let m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
      if (m && req.method === 'POST') {
        const bucket = decodeURIComponent(m[1]!);
        const type = url.searchParams.get('uploadType');
        const ifGen = precondition !== null ? Number(precondition) : undefined;
        if (type === 'multipart') {
          const part = multipart(req, raw);
          const data = alterUpload ? alterUpload(part.data) : part.data;
          alterUpload = undefined;
          const bare = bareAnswer;
          bareAnswer = false;
          create(bucket, part.name ?? url.searchParams.get('name') ?? '', data, ifGen, bare);
          return;
        }
        if (type === 'resumable') {
          const metaJson = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as { name?: string }) : {};
          const id = `s${sessionCounter++}`;
          sessions.set(id, {
            name: metaJson.name ?? url.searchParams.get('name') ?? '',
            bucket,
            data: Buffer.alloc(0),
            ...(ifGen !== undefined ? { ifGenerationMatch: ifGen } : {}),
          });
          res.writeHead(200, {
            location: `http://${req.headers.host}/upload/storage/v1/b/${m[1]}/o?uploadType=resumable&upload_id=${id}`,
          });
          res.end();
          return;
        }
      }
      if (m && req.method === 'PUT') {
        const id = url.searchParams.get('upload_id') ?? '';
        const s = sessions.get(id);
        if (!s) {
          json(res, 404, { error: { code: 404, message: 'no such upload' } });
          return;
        }
        const range = req.headers['content-range'] ?? '';
        // `bytes */total` or `bytes */*`: a status query.
        const query = /^bytes \*\/(\d+|\*)$/.exec(range);
        if (!query) {
          const r = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(range);
          const start = r ? Number(r[1]) : 0;
          if (start !== s.data.length) {
            json(res, 400, { error: { code: 400, message: 'bad offset' } });
            return;
          }
          let piece = raw;
          if (failPuts > 0) {
            failPuts--;
            piece = raw.subarray(0, Math.min(failKeep, raw.length));
            s.data = Buffer.concat([s.data, piece]);
            json(res, 503, { error: { code: 503, message: 'backend error' } });
            return;
          }
          s.data = Buffer.concat([s.data, piece]);
          const total = r?.[3] ?? /\/(\d+)$/.exec(range)?.[1] ?? String(s.data.length);
          if (total !== '*' && Number(total) === s.data.length) {
            sessions.delete(id);
            create(s.bucket, s.name, s.data, s.ifGenerationMatch);
            return;
          }
        } else if (query[1] !== '*' && Number(query[1]) === s.data.length) {
          sessions.delete(id);
          create(s.bucket, s.name, s.data, s.ifGenerationMatch);
          return;
        }
        res.writeHead(308, s.data.length > 0 ? { range: `bytes=0-${s.data.length - 1}` } : {});
        res.end();
        return;
      }
      m = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
      if (m) {
        const bucket = decodeURIComponent(m[1]!);
        const name = decodeURIComponent(m[2]!);
        const o = objects.get(name);
        if (req.method === 'DELETE') {
          if (!o) {
            json(res, 404, { error: { code: 404, message: `No such object: ${bucket}/${name}` } });
            return;
          }
          objects.delete(name);
          res.writeHead(204);
          res.end();
          return;
        }
        if (!o) {
          json(res, 404, { error: { code: 404, message: `No such object: ${bucket}/${name}` } });
          return;
        }
        if (url.searchParams.get('alt') === 'media') {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': o.data.length });
          res.end(o.data);
          return;
        }
        json(res, 200, meta(bucket, name, o));
        return;
      }
      m = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
      if (m && req.method === 'GET') {
        const bucket = decodeURIComponent(m[1]!);
        const prefix = url.searchParams.get('prefix') ?? '';
        const items = [...objects.entries()].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1));
        json(res, 200, { kind: 'storage#objects', items: items.map(([k, o]) => meta(bucket, k, o)) });
        return;
      }
      json(res, 501, { error: { code: 501, message: `stub does not implement ${req.method} ${url.pathname}` } });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    requests,
    responses,
    failResumablePuts(n, keep) {
      failPuts = n;
      failKeep = keep;
    },
    alterNextUpload(alter) {
      alterUpload = alter;
    },
    bareNextAnswer() {
      bareAnswer = true;
    },
  };
}
