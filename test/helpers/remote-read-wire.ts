/**
 * Remote-read bytes built by hand for tests (a few lines of protobuf wire format, independent of
 * src/prometheus/read-request.ts), and a fake Prometheus on a loopback port that answers with them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { crc32c } from '@node-rs/crc32';

export function uvarint(n: number | bigint): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  while (v >= 0x80n) {
    out.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function lengthDelimited(field: number, payload: Uint8Array | number[]): number[] {
  return [...uvarint((field << 3) | 2), ...uvarint(payload.length), ...payload];
}

function varintField(field: number, value: number | bigint): number[] {
  // int64 on the wire: a negative value is its 64-bit two's complement.
  const v = BigInt.asUintN(64, BigInt(value));
  return v === 0n ? [] : [...uvarint(field << 3), ...uvarint(v)];
}

function utf8(s: string): number[] {
  return [...Buffer.from(s, 'utf8')];
}

export interface HandChunk {
  minTime: number | bigint;
  maxTime: number | bigint;
  type: number;
  data: Uint8Array;
}

export interface HandSeries {
  labels: [string, string][];
  chunks: HandChunk[];
}

/** prometheus.ChunkedReadResponse: field 1 ChunkedSeries{1 Label{1 name, 2 value}, 2 Chunk{1,2,3,4}}, 2 query_index. */
export function chunkedReadResponse(series: HandSeries[], queryIndex = 0): Uint8Array {
  const out: number[] = [];
  for (const s of series) {
    const body: number[] = [];
    for (const [name, value] of s.labels) {
      body.push(...lengthDelimited(1, [...lengthDelimited(1, utf8(name)), ...lengthDelimited(2, utf8(value))]));
    }
    for (const c of s.chunks) {
      body.push(
        ...lengthDelimited(2, [
          ...varintField(1, c.minTime),
          ...varintField(2, c.maxTime),
          ...varintField(3, c.type),
          ...lengthDelimited(4, c.data),
        ]),
      );
    }
    out.push(...lengthDelimited(1, body));
  }
  out.push(...varintField(2, queryIndex));
  return Uint8Array.from(out);
}

/** One frame: uvarint length, big-endian CRC32C of the message, the message. */
export function frame(message: Uint8Array, opts: { crc?: number } = {}): Buffer {
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(opts.crc ?? crc32c(message) >>> 0);
  return Buffer.concat([Buffer.from(uvarint(message.length)), crc, message]);
}

export const STREAMED_CONTENT_TYPE = 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A node:http server on 127.0.0.1; `handle` answers each request; stopped at teardown. */
export async function startFakeServer(
  t: Teardown,
  handle: (req: RecordedRequest, res: ServerResponse) => void | Promise<void>,
): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(parts),
      };
      requests.push(recorded);
      void Promise.resolve(handle(recorded, res)).catch(() => res.destroy());
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests };
}

/** Writes `parts` as separate body writes of a 200 streamed response, then ends it. */
export function streamed(parts: readonly Uint8Array[]) {
  return (_req: RecordedRequest, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': STREAMED_CONTENT_TYPE });
    for (const p of parts) res.write(p);
    res.end();
  };
}

/** The part of tap's `t` that shared assertion helpers use. */
export interface Checks {
  ok(value: unknown, message: string): unknown;
  equal(found: unknown, wanted: unknown, message: string): unknown;
  match(found: unknown, pattern: unknown, message: string): unknown;
  notMatch(found: unknown, pattern: unknown, message: string): unknown;
  same(found: unknown, wanted: unknown, message: string): unknown;
  teardown(fn: () => unknown): void;
}
