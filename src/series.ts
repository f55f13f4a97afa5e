import type { Labels } from './labels.ts';

/** Chunk encodings as numbered in Prometheus' chunkenc and in prompb.Chunk. */
export const ChunkEncoding = {
  XOR: 1,
  Histogram: 2,
  FloatHistogram: 3,
} as const;

/** One encoded chunk: `data` is the chunk's bytes exactly as Prometheus stores them. */
export interface Chunk {
  /** Timestamp of the first sample, ms. */
  minTime: number;
  /** Timestamp of the last sample, ms (inclusive). */
  maxTime: number;
  encoding: number;
  data: Uint8Array;
}

export interface Sample {
  /** ms since the epoch */
  t: number;
  v: number;
}

/**
 * A series as it arrives from Prometheus: its labels and its chunks, oldest first. A server that
 * does not stream chunks answers with raw samples instead; those arrive in `samples` (sorted by
 * time) and are encoded by the block writer.
 */
export interface SeriesChunks {
  labels: Labels;
  chunks: Chunk[];
  samples?: Sample[];
}

/** A half-open time range `[start, end)` in ms. */
export interface Window {
  start: number;
  end: number;
}

/** `2026-01-01T00:00:00.000Z–2026-01-01T02:00:00.000Z`: how every log line and message names a window. */
export function formatWindow(window: Window): string {
  return `${isoOrRaw(window.start)}–${isoOrRaw(window.end)}`;
}

function isoOrRaw(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}
