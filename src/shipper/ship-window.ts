/**
 * Ships one window: read it from Prometheus, build the block on local disk, upload it. Any
 * failure removes the local block and leaves no meta.json in the bucket, so the window is simply
 * tried again later; nothing half-done is ever visible to Thanos.
 */
import { rm } from 'node:fs/promises';
import type { Bucket } from '../bucket/bucket.ts';
import { uploadBlock } from '../bucket/upload-block.ts';
import type { ErrorCode } from '../error-codes.ts';
import { PromshipError, promshipCode } from '../errors.ts';
import type { Labels } from '../labels.ts';
import { DistinctStripper, stripExternalLabels } from '../prometheus/external-labels.ts';
import { formatWindow, type SeriesChunks, type Window } from '../series.ts';
import { BlockWriter } from '../tsdb/block-writer.ts';
import { DuplicateSeriesError } from '../tsdb/errors.ts';
import { fitChunksToWindow } from '../tsdb/fit-chunks.ts';

/** Where series come from: the remote-read client, or anything that streams the same shape. */
export interface SeriesSource {
  read(window: Window, opts?: { signal?: AbortSignal }): AsyncIterable<SeriesChunks>;
}

export interface ShipContext {
  source: SeriesSource;
  bucket: Bucket;
  /** Local scratch directory for blocks under construction. */
  blocksDir: string;
  thanosLabels: Record<string, string>;
  stripLabels: Labels;
  signal?: AbortSignal;
  /** The block's ULID, claimed in the ledger before the upload starts. */
  ulid: string;
}

export interface ShippedBlock {
  window: Window;
  ulid: string;
  series: number;
  samples: number;
  chunks: number;
  bytes: number;
  buildMs: number;
  uploadMs: number;
  /**
   * Series that kept an external label, as their own, to stay apart from a twin that lacks it
   * (see `DistinctStripper`); absent when none had to.
   */
  seriesKeepingExternalLabels?: number;
}

/** A window that could not be shipped; `cause` holds the typed error with the details. */
export class WindowError extends PromshipError {
  override readonly code: ErrorCode;
  readonly window: Window;
  readonly stage: WindowStage;

  constructor(window: Window, stage: WindowStage, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`window ${formatWindow(window)} failed while ${stageVerb[stage]}: ${why}`, { cause });
    this.window = window;
    this.stage = stage;
    this.code = promshipCode(cause, 'PROMSHIP_WINDOW_FAILED');
  }
}

/** `claim`: recording the window's ULID in the ledger (and clearing a partial upload to resume) before anything is read. */
export type WindowStage = 'claim' | 'read' | 'build' | 'upload';

const stageVerb = {
  claim: 'claiming it in the ledger',
  read: 'reading from Prometheus',
  build: 'building the block',
  upload: 'uploading the block',
} as const;

/** Ships `window`; returns null when Prometheus has no samples in it (no block is made). */
export async function shipWindow(ctx: ShipContext, window: Window): Promise<ShippedBlock | null> {
  try {
    return await buildAndUpload(ctx, window, (labels) => stripExternalLabels(labels, ctx.stripLabels));
  } catch (err) {
    // Two series that differ only by a stored label equal to an external label became one when
    // stripped. Rare, and found only once the index is sorted: read the window again, keeping
    // that label on the later twin. Nothing was uploaded; the ULID stays the claimed one.
    if (!(err instanceof WindowError && err.cause instanceof DuplicateSeriesError) || ctx.signal?.aborted) throw err;
    const twins = new DistinctStripper(ctx.stripLabels);
    const block = await buildAndUpload(ctx, window, (labels) => twins.strip(labels));
    return block && { ...block, seriesKeepingExternalLabels: twins.kept };
  }
}

async function buildAndUpload(ctx: ShipContext, window: Window, strip: (labels: Labels) => Labels): Promise<ShippedBlock | null> {
  const started = Date.now();
  let writer: BlockWriter;
  try {
    writer = await BlockWriter.open({
      parentDir: ctx.blocksDir,
      minTime: window.start,
      maxTime: window.end,
      thanosLabels: ctx.thanosLabels,
      ulid: ctx.ulid,
      // The local block is scratch: after a crash it is rebuilt from Prometheus, never reused.
      durable: false,
    });
  } catch (err) {
    // E.g. a full data dir: a failure to build, not to upload (the ledger and health line say which).
    throw new WindowError(window, 'build', err);
  }
  let stage: 'read' | 'build' = 'read';
  let written;
  try {
    for await (const series of ctx.source.read(window, { signal: ctx.signal })) {
      stage = 'build';
      const labels = strip(series.labels);
      const chunks = fitChunksToWindow(series, window);
      // Most series go in without a promise; the rest wait for the disk.
      if (chunks.length > 0 && !writer.tryAddSeries(labels, chunks)) await writer.addSeries(labels, chunks);
      stage = 'read';
    }
    stage = 'build';
    written = await writer.finish();
  } catch (err) {
    await writer.abort();
    throw new WindowError(window, stage, err);
  }
  if (written === null) return null;
  const buildMs = Date.now() - started;
  const uploadStarted = Date.now();
  try {
    const { bytes } = await uploadBlock(ctx.bucket, written, { signal: ctx.signal });
    return {
      window,
      ulid: written.ulid,
      series: written.meta.stats.numSeries,
      samples: written.meta.stats.numSamples,
      chunks: written.meta.stats.numChunks,
      bytes,
      buildMs,
      uploadMs: Date.now() - uploadStarted,
    };
  } catch (err) {
    throw new WindowError(window, 'upload', err);
  } finally {
    await rm(written.dir, { recursive: true, force: true });
  }
}
