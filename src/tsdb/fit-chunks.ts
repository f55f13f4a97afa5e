/**
 * Cuts one series' chunks to a block's window `[start, end)`.
 *
 * XOR chunks are judged by the timestamps in their bytes, not by the min/max the source sent
 * along: a block whose index claims a range its chunk does not hold makes Thanos' compactor halt,
 * and Prometheus marks open head chunks with maxTime = MaxInt64. Reading the timestamps also
 * validates every chunk before it is shipped. Histogram chunks cannot be read yet, so for those
 * the sent range is trusted.
 */
import type { Chunk, Sample, Window } from '../series.ts';
import { ChunkEncoding } from '../series.ts';
import {
  ChunkEncodingError,
  ChunkOrderError,
  HistogramEdgeError,
  SampleOrderError,
  InvalidWindowError,
} from './errors.ts';
import { XorChunkEncoder, decodeXorChunk, encodeXorChunk } from './xor-chunk.ts';
import { xorChunkTimeRange, type XorChunkTimeRange } from './xor-chunk-time-range.ts';

/** Prometheus cuts head chunks at 120 samples; raw samples are packed the same way. */
const SAMPLES_PER_CHUNK = 120;

/** The scan's answer for the chunk at hand: one object for every chunk, read before the next. */
const range: XorChunkTimeRange = { count: 0, minTime: undefined, maxTime: undefined };

export interface ChunksAndSamples {
  chunks: readonly Chunk[];
  samples?: readonly Sample[];
}

/**
 * The chunks of a block covering `[window.start, window.end)`, sorted by time and disjoint. XOR
 * chunks wholly inside come back as the same objects (same bytes), and when every chunk does, as
 * the same array; chunks across an edge are re-encoded without the samples outside; chunks
 * outside are dropped; raw `samples` are filtered and packed into chunks of at most 120. An empty
 * result means no samples in the window.
 */
export function fitChunksToWindow(series: ChunksAndSamples, window: Window): readonly Chunk[] {
  checkWindow(window);
  const fromChunks = fitEncodedChunks(series.chunks, window);
  const samples = series.samples;
  if (samples === undefined || samples.length === 0) return fromChunks;
  const fromSamples = packSamples(samples, window);
  if (fromChunks.length === 0) return fromSamples;
  return mergeDisjoint(fromChunks, fromSamples);
}

function checkWindow(window: Window): void {
  if (!Number.isSafeInteger(window.start) || !Number.isSafeInteger(window.end) || window.end <= window.start) {
    throw new InvalidWindowError(
      `window [${window.start}, ${window.end}) is empty or not in integer ms; the end must be after the start`,
    );
  }
}

function describeChunk(i: number, minTime: number, maxTime: number): string {
  return `chunk #${i} [${minTime}, ${maxTime}]`;
}

function fitEncodedChunks(chunks: readonly Chunk[], window: Window): readonly Chunk[] {
  // Made only once a chunk is dropped or replaced: until then it would equal `chunks`.
  let out: Chunk[] | undefined;
  let prevMax = -Infinity;
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i]!;
    let minTime: number;
    let maxTime: number;
    if (chunk.encoding === ChunkEncoding.XOR) {
      // The range is read from the bytes, never from the metadata sent along: an index entry
      // that disagrees with its chunk halts the Thanos compactor, and a frame CRC only proves
      // the bytes arrived as sent, not that they agree with the metadata.
      xorChunkTimeRange(chunk.data, range);
      if (range.minTime === undefined || range.maxTime === undefined) {
        out ??= chunks.slice(0, i);
        continue;
      }
      minTime = range.minTime;
      maxTime = range.maxTime;
    } else if (chunk.encoding === ChunkEncoding.Histogram || chunk.encoding === ChunkEncoding.FloatHistogram) {
      minTime = chunk.minTime;
      maxTime = chunk.maxTime;
      if (!(minTime <= maxTime)) {
        throw new ChunkOrderError(
          `histogram ${describeChunk(i, minTime, maxTime)} ends before it starts; ` +
            'the source sent inconsistent chunk metadata',
        );
      }
    } else {
      throw new ChunkEncodingError(
        `chunk #${i} has encoding ${chunk.encoding}; only XOR (1), histogram (2) and float histogram (3) are known`,
      );
    }
    if (minTime <= prevMax) {
      throw new ChunkOrderError(
        `${describeChunk(i, minTime, maxTime)} overlaps or precedes the previous chunk (ending ${prevMax}); ` +
          'the series must arrive as time-ordered, non-overlapping chunks',
      );
    }
    prevMax = maxTime;

    if (maxTime < window.start || minTime >= window.end) {
      out ??= chunks.slice(0, i);
      continue;
    }
    if (minTime >= window.start && maxTime < window.end) {
      if (minTime === chunk.minTime && maxTime === chunk.maxTime) out?.push(chunk);
      else (out ??= chunks.slice(0, i)).push({ minTime, maxTime, encoding: chunk.encoding, data: chunk.data });
      continue;
    }
    if (chunk.encoding !== ChunkEncoding.XOR) {
      throw new HistogramEdgeError(
        `histogram ${describeChunk(i, minTime, maxTime)} crosses the window [${window.start}, ${window.end}) ` +
          'and cannot be cut (no histogram codec); choose windows aligned with the source block ranges',
      );
    }
    out ??= chunks.slice(0, i);
    const kept = decodeXorChunk(chunk.data).filter((s) => s.t >= window.start && s.t < window.end);
    if (kept.length === 0) continue;
    out.push({
      minTime: kept[0]!.t,
      maxTime: kept[kept.length - 1]!.t,
      encoding: ChunkEncoding.XOR,
      data: encodeXorChunk(kept),
    });
  }
  return out ?? chunks;
}

function packSamples(samples: readonly Sample[], window: Window): Chunk[] {
  const out: Chunk[] = [];
  let enc: XorChunkEncoder | undefined;
  const flush = (): void => {
    if (enc === undefined || enc.count === 0) return;
    out.push({ minTime: enc.minTime!, maxTime: enc.maxTime!, encoding: ChunkEncoding.XOR, data: enc.bytes() });
    enc = undefined;
  };
  let prevT = -Infinity;
  for (const s of samples) {
    if (!(s.t > prevT)) {
      throw new SampleOrderError(
        `raw sample at ${s.t} does not come after ${prevT}; ` +
          'samples of a series must be sorted by time without duplicates',
      );
    }
    prevT = s.t;
    if (s.t < window.start || s.t >= window.end) continue;
    enc ??= new XorChunkEncoder({ expectedSamples: SAMPLES_PER_CHUNK });
    enc.append(s.t, s.v);
    if (enc.count === SAMPLES_PER_CHUNK) flush();
  }
  flush();
  return out;
}

function mergeDisjoint(a: readonly Chunk[], b: readonly Chunk[]): Chunk[] {
  const all = [...a, ...b].sort((x, y) => x.minTime - y.minTime);
  for (let i = 1; i < all.length; i++) {
    if (all[i]!.minTime <= all[i - 1]!.maxTime) {
      throw new ChunkOrderError(
        `the series has both chunks and raw samples and they overlap at ${all[i]!.minTime}; ` +
          'the source must send each sample once',
      );
    }
  }
  return all;
}
