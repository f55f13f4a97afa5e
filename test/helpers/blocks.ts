import { cp, mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { listBlockDirs } from './prometheus.ts';

export interface MetaJson {
  ulid: string;
  minTime: number;
  maxTime: number;
  stats: { numSamples: number; numSeries: number; numChunks: number };
  compaction: { level: number; sources: string[] };
  version: number;
  thanos: {
    labels: Record<string, string>;
    downsample: { resolution: number };
    source: string;
    segment_files?: string[];
    files?: { rel_path: string; size_bytes?: number }[];
    version?: number;
  };
}

export async function readMeta(blockDir: string): Promise<MetaJson> {
  return JSON.parse(await readFile(join(blockDir, 'meta.json'), 'utf8')) as MetaJson;
}

/** Every file below `dir` with its size, paths relative to `dir`. */
export async function filesWithSizes(dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(relative(dir, p).split('\\').join('/'), (await stat(p)).size);
    }
  };
  await walk(dir);
  return out;
}

/** Copies only the block directories of `from` into a fresh `to`, for promtool or Prometheus to open. */
export async function copyBlocks(from: string, to: string): Promise<string[]> {
  await mkdir(to, { recursive: true });
  const ids = await listBlockDirs(from);
  for (const id of ids) await cp(join(from, id), join(to, id), { recursive: true });
  return ids;
}

/** The first differing line of two dumps, for a readable failure. */
export function firstDifference(a: readonly string[], b: readonly string[]): string | undefined {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return `line ${i + 1}: expected ${a[i] ?? '<end>'} but got ${b[i] ?? '<end>'}`;
  }
  return undefined;
}
