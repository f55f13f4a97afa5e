/**
 * A Shipper in process, for the claim rules between agents: a file bucket (exclusive creates, as a
 * store honouring `If-None-Match: *`) that a test can wrap, a source with one counter sampled every
 * 15 s in any window it is asked for, and a fake clock. What reaches the bucket is read back from
 * the filesystem.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { Bucket } from '../../src/bucket/bucket.ts';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import type { SeriesChunks, Window } from '../../src/series.ts';
import type { SeriesSource } from '../../src/shipper/ship-window.ts';
import { Shipper } from '../../src/shipper/shipper.ts';
import { WindowClaims } from '../../src/shipper/window-claims.ts';

export const HOUR = 3_600_000;
const CLUSTER = 'c1';

/** One counter, a sample every 15 s, in whatever window is read; `empty` for windows without data. */
export function counterSource(empty: (w: Window) => boolean = () => false): SeriesSource {
  return {
    async *read(window: Window): AsyncIterable<SeriesChunks> {
      if (empty(window)) return;
      const samples = [];
      for (let at = window.start; at < window.end; at += 15_000) samples.push({ t: at, v: at / 1000 });
      yield { labels: [['__name__', 'up']], chunks: [], samples };
    },
  };
}

/** A FileBucket at `root` with some of its methods replaced by `hooks`. */
export function fileBucketWith(root: string, hooks: (files: Bucket) => Partial<Bucket> = () => ({})): Bucket {
  const files: Bucket = new FileBucket(root);
  return Object.assign(Object.create(files) as Bucket, hooks(files));
}

export interface AgentOptions {
  bucket: Bucket;
  dataDir: string;
  instance: string;
  blockDurationMs: number;
  now: () => number;
  source?: SeriesSource;
  maxBackfillMs?: number;
  labels?: Record<string, string>;
  /** Default: silent. */
  logger?: Logger;
}

/** An agent of cluster `c1`, with window claims, no ship delay and two hours of backfill by default. */
export function agent(o: AgentOptions): Shipper {
  return new Shipper({
    source: o.source ?? counterSource(),
    bucket: o.bucket,
    dataDir: o.dataDir,
    clusterId: CLUSTER,
    thanosLabels: o.labels ?? { cluster_id: CLUSTER },
    stripLabels: [],
    blockDurationMs: o.blockDurationMs,
    shipDelayMs: 0,
    maxBackfillMs: o.maxBackfillMs ?? 2 * HOUR,
    logger: o.logger ?? pino({ level: 'silent' }),
    claims: new WindowClaims({
      bucket: o.bucket,
      clusterId: CLUSTER,
      instanceId: o.instance,
      staleAfterMs: 30 * 60_000,
      startedAt: o.now(),
      now: o.now,
    }),
    now: o.now,
    backoff: { baseMs: 1000, maxMs: 2000 },
  });
}

export interface StoredBlock {
  ulid: string;
  minTime: number;
  maxTime: number;
  labels: Record<string, string>;
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Block directories in the file bucket at `root`: published (with meta.json) and partial. */
export async function blocksIn(root: string): Promise<{ published: StoredBlock[]; partial: string[] }> {
  const published: StoredBlock[] = [];
  const partial: string[] = [];
  for (const d of (await readdir(root).catch(() => [] as string[])).filter((n) => ULID.test(n))) {
    const meta = await readFile(join(root, d, 'meta.json'), 'utf8').catch(() => undefined);
    if (meta === undefined) {
      partial.push(d);
      continue;
    }
    const m = JSON.parse(meta) as { minTime: number; maxTime: number; thanos: { labels: Record<string, string> } };
    published.push({ ulid: d, minTime: m.minTime, maxTime: m.maxTime, labels: m.thanos.labels });
  }
  return { published: published.sort((a, b) => a.minTime - b.minTime), partial };
}

/** Pairs of blocks with the same labels whose time ranges overlap. */
export function overlappingPairs(blocks: readonly StoredBlock[]): string[] {
  const pairs: string[] = [];
  for (let i = 0; i < blocks.length; i++)
    for (let j = i + 1; j < blocks.length; j++) {
      const [a, b] = [blocks[i]!, blocks[j]!];
      if (JSON.stringify(a.labels) === JSON.stringify(b.labels) && a.minTime < b.maxTime && b.minTime < a.maxTime)
        pairs.push(`${a.ulid} / ${b.ulid}`);
    }
  return pairs;
}
