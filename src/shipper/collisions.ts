/**
 * Series that relabelling made equal. A block cannot hold two series with one label set, so they
 * are merged: samples in time order, one per timestamp (the series that arrived first, i.e.
 * whose original labels sort first in Prometheus' order, wins a tie), re-encoded as XOR chunks.
 *
 * Finding them: series come from Prometheus distinct, so two can become one only if the rules
 * changed at least one of them. The first pass hashes just the label sets the rules changed
 * (53 bits each), which finds two changed series made equal; a changed series made equal to one
 * the rules left alone reaches the block writer twice, which refuses the block, and only then is
 * the window read again hashing every series. Hashing every series each window cost twice what
 * the rules themselves did. With suspects, the window is read again holding just their samples
 * until the end. A hash clash only makes a series a suspect; suspects are grouped by their exact
 * labels, so a clash never merges different series, and members whose labels were equal before
 * the rules (twins made by stripping external labels) are refused rather than merged.
 */
import { formatLabels, type Labels } from '../labels.ts';
import { ChunkEncoding, type Chunk, type Sample, type Window } from '../series.ts';
import { DuplicateSeriesError } from '../tsdb/errors.ts';
import { fitChunksToWindow } from '../tsdb/fit-chunks.ts';
import { decodeXorChunk } from '../tsdb/xor-chunk.ts';

/**
 * 53 bits over every name and value, two UTF-16 units per step (the hashing cost as much as the
 * rules when a rule changed every series). Each string is closed by its length, so moving a
 * character from a name to its value changes the hash.
 */
function labelsHash(labels: Labels): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let l = 0; l < labels.length; l++) {
    const label = labels[l]!;
    for (let k = 0; k < 2; k++) {
      const s = label[k]!;
      const n = s.length;
      let i = 0;
      for (; i + 1 < n; i += 2) {
        const w = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
        h1 = Math.imul(h1 ^ w, 0x01000193);
        h2 = Math.imul(h2 ^ w, 0x5bd1e995) ^ (h2 >>> 15);
      }
      const last = (i < n ? s.charCodeAt(i) : 0) | ((n & 0x7fff) << 16) | 0x80000000;
      h1 = Math.imul(h1 ^ last, 0x01000193);
      h2 = Math.imul(h2 ^ last, 0x5bd1e995) ^ (h2 >>> 15);
    }
  }
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) >>> 11);
}

/**
 * First pass: which output label sets (by hash) were seen more than once. The hashes go into a
 * flat array sorted once at the end: a Set of 250k non-small numbers boxed each one and cost more
 * than the rules it served.
 */
export class CollisionFinder {
  #hashes = new Float64Array(1024);
  #count = 0;
  readonly #everySeries: boolean;

  /** `everySeries` false: only label sets the rules changed are hashed (see the top of this file). */
  constructor(opts: { everySeries: boolean }) {
    this.#everySeries = opts.everySeries;
  }

  /** Notes one series as written; `changed` tells whether the rules changed its labels. */
  add(labels: Labels, changed: boolean): void {
    if (!changed && !this.#everySeries) return;
    if (this.#count === this.#hashes.length) {
      const grown = new Float64Array(this.#hashes.length * 2);
      grown.set(this.#hashes);
      this.#hashes = grown;
    }
    this.#hashes[this.#count++] = labelsHash(labels);
  }

  /** The hashes seen more than once. */
  suspects(): Set<number> {
    const sorted = this.#hashes.subarray(0, this.#count).sort();
    const out = new Set<number>();
    for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) out.add(sorted[i]!);
    return out;
  }
}

interface Held {
  labels: Labels;
  members: (readonly Chunk[])[];
  /** Each member's labels before the rules, to tell a merge the rules made from stripping twins. */
  inputs: Set<string>;
}

export interface MergeStats {
  /** Series merged into another (a group of n counts n - 1). */
  mergedSeries: number;
  /** Samples dropped because a merged twin had one at the same timestamp. */
  duplicateSamples: number;
}

/** Second pass: holds the suspects' chunks, grouped by exact labels, and merges each group at the end. */
export class CollisionMerger {
  readonly #suspects: ReadonlySet<number>;
  readonly #held = new Map<string, Held>();

  constructor(suspects: ReadonlySet<number>) {
    this.#suspects = suspects;
  }

  /**
   * True when the series was held for merging (the caller does not write it now). `input` is its
   * labels before the rules: two members with equal inputs were not made one by the rules but by
   * stripping the external labels, and such twins are kept apart, never merged; that is thrown as
   * the DuplicateSeriesError the block writer would have raised, so the window is read again
   * keeping them apart.
   */
  hold(labels: Labels, chunks: readonly Chunk[], input: Labels): boolean {
    if (!this.#suspects.has(labelsHash(labels))) return false;
    const key = JSON.stringify(labels);
    const inputKey = JSON.stringify(input);
    const held = this.#held.get(key);
    if (held?.inputs.has(inputKey)) {
      throw new DuplicateSeriesError(
        `two series of the window have the labels ${formatLabels(input)} once their external labels are stripped`,
      );
    }
    if (held) {
      held.members.push(chunks);
      held.inputs.add(inputKey);
    } else this.#held.set(key, { labels, members: [chunks], inputs: new Set([inputKey]) });
    return true;
  }

  /** Each held label set once, with its merged chunks. */
  *merged(window: Window, stats: MergeStats): Generator<{ labels: Labels; chunks: readonly Chunk[] }> {
    for (const { labels, members } of this.#held.values()) {
      if (members.length === 1) {
        yield { labels, chunks: members[0]! };
        continue;
      }
      stats.mergedSeries += members.length - 1;
      // Histogram chunks cannot be decoded here: of such a group, the first series is kept whole.
      if (members.some((m) => m.some((c) => c.encoding !== ChunkEncoding.XOR))) {
        stats.duplicateSamples += members.slice(1).reduce((n, m) => n + countSamples(m), 0);
        yield { labels, chunks: members[0]! };
        continue;
      }
      const byTime = new Map<number, Sample>();
      let total = 0;
      for (const chunks of members) {
        for (const chunk of chunks) {
          for (const s of decodeXorChunk(chunk.data)) {
            total++;
            if (!byTime.has(s.t)) byTime.set(s.t, s);
          }
        }
      }
      const samples = [...byTime.values()].sort((a, b) => a.t - b.t);
      stats.duplicateSamples += total - samples.length;
      yield { labels, chunks: fitChunksToWindow({ chunks: [], samples }, window) };
    }
  }
}

/** Samples in chunks: an XOR (and histogram) chunk starts with its sample count, big-endian. */
export function countSamples(chunks: readonly Chunk[]): number {
  let n = 0;
  for (const c of chunks) n += c.data.length >= 2 ? (c.data[0]! << 8) | c.data[1]! : 0;
  return n;
}
