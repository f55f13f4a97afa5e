/**
 * Known series for TSDB block tests: OpenMetrics text that promtool turns into reference blocks,
 * XOR chunks made from the same samples, and small readers of raw block bytes that follow the
 * format docs directly (so tests do not check the reader with itself).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Label, Labels } from '../../src/labels.ts';
import type { Chunk, Sample } from '../../src/series.ts';
import { encodeXorChunk } from '../../src/tsdb/xor-chunk.ts';
import { createBlocksFromOpenMetrics, listBlockDirs } from './prometheus.ts';
import { seededRandom } from './seeded-random.ts';

export const TWO_HOURS = 2 * 3600 * 1000;
/** A 2h-aligned block start (2023-11-14T22:00:00Z). */
export const BLOCK_START = 1_699_999_200_000;

export interface KnownSeries {
  labels: Labels;
  samples: Sample[];
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** OpenMetrics text of gauge series (labels must include `__name__`). */
function toOpenMetrics(series: readonly KnownSeries[]): string {
  const byName = new Map<string, KnownSeries[]>();
  for (const s of series) {
    const name = s.labels.find(([n]) => n === '__name__')?.[1];
    if (!name) throw new Error('fixture series need __name__');
    byName.set(name, [...(byName.get(name) ?? []), s]);
  }
  const lines: string[] = [];
  for (const [name, list] of byName) {
    lines.push(`# TYPE ${name} gauge`);
    for (const s of list) {
      const ls = s.labels
        .filter(([n]) => n !== '__name__')
        .map(([n, v]) => `${n}="${escapeLabelValue(v)}"`)
        .join(',');
      for (const { t, v } of s.samples) {
        lines.push(`${name}${ls ? `{${ls}}` : ''} ${v} ${(t / 1000).toFixed(3)}`);
      }
    }
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

/** Makes blocks from `series` with promtool under `dataDir`; returns the block dir names. */
export async function promtoolBlocks(series: readonly KnownSeries[], dataDir: string): Promise<string[]> {
  await createBlocksFromOpenMetrics(toOpenMetrics(series), dataDir);
  return listBlockDirs(dataDir);
}

/** Cuts samples into XOR chunks of at most `perChunk` samples, as Prometheus does (120). */
export function xorChunks(samples: readonly Sample[], perChunk = 120): Chunk[] {
  const out: Chunk[] = [];
  for (let i = 0; i < samples.length; i += perChunk) {
    const part = samples.slice(i, i + perChunk);
    out.push({ minTime: part[0]!.t, maxTime: part[part.length - 1]!.t, encoding: 1, data: encodeXorChunk(part) });
  }
  return out;
}

export function sortedLabels(obj: Record<string, string>): Label[] {
  return Object.entries(obj).sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** Deterministic pseudo-random numbers in [0, 1): seededRandom's mulberry32, as a bare function. */
export function rng(seed: number): () => number {
  return seededRandom(seed).next;
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export interface RawToc {
  symbols: number;
  series: number;
  labelIndices: number;
  labelIndicesTable: number;
  postings: number;
  postingsTable: number;
}

/** The index TOC read straight from the last 52 bytes as the format doc describes it. */
export async function readRawToc(blockDir: string): Promise<RawToc> {
  const b = await readFile(join(blockDir, 'index'));
  const at = b.length - 52;
  const n = (i: number): number => Number(b.readBigUInt64BE(at + 8 * i));
  return {
    symbols: n(0),
    series: n(1),
    labelIndices: n(2),
    labelIndicesTable: n(3),
    postings: n(4),
    postingsTable: n(5),
  };
}
