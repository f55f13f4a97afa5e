/**
 * Seeds for the fuzz targets taken from a real Prometheus (Debian's 2.42, serving promtool-made
 * blocks of the remote-read fixture): raw streamed (STREAMED_XOR_CHUNKS) and sampled (SAMPLES)
 * response bodies for a handful of queries, captured once per test file, plus the real XOR chunks
 * and the promtool-written block directories. Mutating real bytes reaches the paths real data
 * takes; purely random bytes mostly stop at the first check.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { compressSync, uncompressSync } from 'snappy';
import { request } from 'undici';
import { encodeReadRequest, type LabelMatcher, type ResponseTypeName } from '../../src/prometheus/read-request.ts';
import { decodeChunkedReadResponse, int64ToNearestNumber } from '../helpers/protobufjs-reference.ts';
import { readFrames } from '../../src/prometheus/frame-reader.ts';
import type { Chunk, Window } from '../../src/series.ts';
import { HOUR, startFixture, T0 } from '../helpers/remote-read-fixture.ts';

export interface CapturedQuery {
  name: string;
  window: Window;
  matchers: LabelMatcher[];
}

export interface RealCorpus {
  url: string;
  /** Prometheus' data directory: promtool-written blocks. */
  dataDir: string;
  queries: CapturedQuery[];
  /** Streamed bodies (frames), one per query. */
  streamed: Buffer[];
  /** The frames' messages (ChunkedReadResponse), all queries. */
  messages: Buffer[];
  /** The same messages, one list per query. */
  messagesByQuery: Buffer[][];
  /** Snappy-compressed SAMPLES bodies, one per query. */
  sampled: Buffer[];
  /** The same, uncompressed (ReadResponse protobuf). */
  sampledRaw: Buffer[];
  /** Every series' chunks as sent (time-ordered), one array per series per query. */
  seriesChunks: Chunk[][];
  /** Every XOR chunk's bytes. */
  xorChunks: Uint8Array[];
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

const re = (value: string): LabelMatcher[] => [{ type: 'RE', name: '__name__', value }];

const QUERIES: CapturedQuery[] = [
  {
    name: 'a and conflicted, 20 min',
    window: { start: T0 + HOUR, end: T0 + HOUR + 20 * 60_000 },
    matchers: re('a|conflicted'),
  },
  {
    name: 'unicode, 30 min across a block edge',
    window: { start: T0 + 105 * 60_000, end: T0 + 135 * 60_000 },
    matchers: re('unicode'),
  },
  { name: 'jittery, 2 h', window: { start: T0, end: T0 + 2 * HOUR }, matchers: re('jittery') },
  {
    name: 'everything, 10 min',
    window: { start: T0 + 3 * HOUR, end: T0 + 3 * HOUR + 10 * 60_000 },
    matchers: re('.+'),
  },
  { name: 'a, 2 h', window: { start: T0 + 2 * HOUR, end: T0 + 4 * HOUR }, matchers: re('a') },
];

async function rawRead(url: string, q: CapturedQuery, type: ResponseTypeName): Promise<Buffer> {
  const res = await request(`${url}/api/v1/read`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-read-version': '0.1.0',
    },
    body: compressSync(
      encodeReadRequest({
        startMs: q.window.start,
        endMs: q.window.end - 1,
        matchers: q.matchers,
        acceptedResponseTypes: [type],
      }),
    ),
  });
  const parts: Buffer[] = [];
  for await (const p of res.body) parts.push(p as Buffer);
  if (res.statusCode !== 200)
    throw new Error(`remote read ${q.name} (${type}) answered ${res.statusCode}: ${Buffer.concat(parts).toString()}`);
  return Buffer.concat(parts);
}

/**
 * Starts the fixture Prometheus with small frames (so long series span several frames) and
 * captures the corpus. Prometheus is stopped at teardown; its data dir stays until then.
 */
export async function captureRealCorpus(t: Teardown): Promise<RealCorpus> {
  const fixture = await startFixture(t, { instances: 3, extraArgs: ['--storage.remote.read-max-bytes-in-frame=400'] });
  const url = fixture.prometheus.url;
  const streamed: Buffer[] = [];
  const sampled: Buffer[] = [];
  const sampledRaw: Buffer[] = [];
  const messages: Buffer[] = [];
  const messagesByQuery: Buffer[][] = [];
  const seriesChunks: Chunk[][] = [];
  const xorChunks: Uint8Array[] = [];
  for (const q of QUERIES) {
    const s = await rawRead(url, q, 'STREAMED_XOR_CHUNKS');
    streamed.push(s);
    const sam = await rawRead(url, q, 'SAMPLES');
    sampled.push(sam);
    sampledRaw.push(uncompressSync(sam, { asBuffer: true }) as Buffer);
    let lastKey = '';
    const own: Buffer[] = [];
    messagesByQuery.push(own);
    for await (const f of readFrames(
      (async function* () {
        yield s;
      })(),
    )) {
      messages.push(Buffer.from(f));
      own.push(Buffer.from(f));
      for (const cs of decodeChunkedReadResponse(f).chunkedSeries) {
        const key = JSON.stringify(cs.labels);
        const chunks = cs.chunks.map((c) => ({
          minTime: int64ToNearestNumber(c.minTimeMs),
          maxTime: int64ToNearestNumber(c.maxTimeMs),
          encoding: c.type,
          data: Uint8Array.from(c.data),
        }));
        if (key === lastKey) seriesChunks[seriesChunks.length - 1]!.push(...chunks);
        else seriesChunks.push(chunks);
        lastKey = key;
        for (const c of chunks) if (c.encoding === 1) xorChunks.push(c.data);
      }
    }
  }
  return {
    url,
    dataDir: fixture.dataDir,
    queries: QUERIES,
    streamed,
    messages,
    messagesByQuery,
    sampled,
    sampledRaw,
    seriesChunks,
    xorChunks,
  };
}

/** The promtool-written block directories under the corpus' data dir. */
export async function blockDirs(dataDir: string): Promise<string[]> {
  const names = await readdir(dataDir);
  return names
    .filter((n) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(n))
    .sort()
    .map((n) => join(dataDir, n));
}
