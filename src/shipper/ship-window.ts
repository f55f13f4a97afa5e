/**
 * Ships one window: read it from Prometheus, build the block on local disk, upload it. Any
 * failure removes the local block and leaves no meta.json in the bucket, so the window is simply
 * tried again later; nothing half-done is ever visible to Thanos.
 */
import { rm } from 'node:fs/promises';
import type { Bucket } from '../bucket/bucket.ts';
import { clearPartialBlock, uploadBlock, uploadSegments } from '../bucket/upload-block.ts';
import type { ErrorCode } from '../error-codes.ts';
import { PromshipError, promshipCode } from '../errors.ts';
import type { Labels } from '../labels.ts';
import { DistinctStripper, stripExternalLabels } from '../prometheus/external-labels.ts';
import { formatWindow, type SeriesChunks, type Window } from '../series.ts';
import { BlockWriter } from '../tsdb/block-writer.ts';
import { DuplicateSeriesError } from '../tsdb/errors.ts';
import { fitChunksToWindow } from '../tsdb/fit-chunks.ts';
import type { BlockMeta } from '../tsdb/meta.ts';
import type { Matcher, RelabelPlan } from '../relabel/plan.ts';
import { CollisionFinder, CollisionMerger, countSamples, type MergeStats } from './collisions.ts';
import { mergeSeriesStreams } from './merge-streams.ts';

/** Where series come from: the remote-read client, or anything that streams the same shape. */
export interface SeriesSource {
  read(window: Window, opts?: { signal?: AbortSignal; matchers?: readonly Matcher[] }): AsyncIterable<SeriesChunks>;
  /** The same series in batches (one await per batch, not per series), where the source can. */
  readBatches?(window: Window, opts?: { signal?: AbortSignal }): AsyncIterable<SeriesChunks[]>;
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
  /** Right before meta.json: throws when this agent must not publish the window after all. */
  beforePublish?: () => Promise<void>;
  /** Relabel rules (and their push-down queries) applied to each series' own labels; none when undefined. */
  relabel?: RelabelPlan | undefined;
}

export interface ShippedBlock {
  window: Window;
  ulid: string;
  series: number;
  samples: number;
  chunks: number;
  bytes: number;
  /** Reading and building, up to the block on local disk (the segments' upload runs beside its last part). */
  buildMs: number;
  /** The rest of the upload once the block was built: the index, the size checks, meta.json. */
  uploadMs: number;
  /** The published meta.json, so a run need not download what it wrote itself. */
  meta: BlockMeta;
  /**
   * Series that kept an external label, as their own, to stay apart from a twin that lacks it
   * (see `DistinctStripper`); absent when none had to.
   */
  seriesKeepingExternalLabels?: number;
  /** What the relabel rules did in this window; absent without rules. */
  relabel?: RelabelStats;
}

export interface RelabelStats extends MergeStats {
  droppedSeries: number;
  droppedSamples: number;
  /** The hash of the rules in force (the ledger keeps it with the shipped range). */
  rulesHash: string;
}

/** A window that could not be shipped; `cause` holds the typed error with the details. */
export class WindowError extends PromshipError {
  override readonly code: ErrorCode;
  readonly window: Window;
  readonly stage: WindowStage;

  /**
   * Objects of this attempt stayed in the bucket (chunk segments uploaded while the index was
   * built, which then failed, and could not be removed): the window must not be read again under
   * the same ULID in this run.
   */
  readonly objectsLeft: boolean;

  constructor(window: Window, stage: WindowStage, cause: unknown, objectsLeft?: { why: string }) {
    const why = cause instanceof Error ? cause.message : String(cause);
    const left = objectsLeft
      ? ` (and the chunk segments uploaded meanwhile could not be removed: ${objectsLeft.why}; they stay a partial upload, which no reader opens, until the window's next attempt or the compactor removes them)`
      : '';
    super(`window ${formatWindow(window)} failed while ${stageVerb[stage]}: ${why}${left}`, { cause });
    this.window = window;
    this.stage = stage;
    this.code = promshipCode(cause, 'PROMSHIP_WINDOW_FAILED');
    this.objectsLeft = objectsLeft !== undefined;
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
  const mayMerge = ctx.relabel?.mayMerge === true;
  const strip = (labels: Labels): Labels => stripExternalLabels(labels, ctx.stripLabels);
  const duplicate = (err: unknown): boolean => retryableFor(err, DuplicateSeriesError, ctx);
  try {
    return await buildMerging(ctx, window, () => strip, mayMerge ? { everySeries: false } : undefined);
  } catch (err) {
    if (!duplicate(err)) throw err;
  }
  // One label set reached the block writer twice; nothing was uploaded and the ULID stays the
  // claimed one. Under rules that change labels, the usual cause is a series they changed into
  // one they left alone, which the first pass does not hash: read again hashing every series.
  if (mayMerge) {
    try {
      return await buildMerging(ctx, window, () => strip, { everySeries: true });
    } catch (err) {
      if (!duplicate(err)) throw err;
    }
  }
  // Two series that differ only by a stored label equal to an external label became one when
  // stripped (rare, and found only once the index is sorted or their merge was attempted): read
  // the window again, keeping that label on the later twin. This remembers every label set of
  // the window, so it is the last resort.
  let twins: DistinctStripper | undefined;
  const block = await buildMerging(
    ctx,
    window,
    () => {
      const stripper = new DistinctStripper(ctx.stripLabels);
      twins = stripper;
      return (labels) => stripper.strip(labels);
    },
    mayMerge ? { everySeries: true } : undefined,
  );
  const kept = twins?.kept ?? 0;
  if (block === null || kept === 0) return block;
  return { ...block, seriesKeepingExternalLabels: kept };
}

/** Whether a pass failed for `cause`, so the window is worth reading again (not when stopping). */
function retryableFor<C extends Error>(
  err: unknown,
  cause: abstract new (...args: never[]) => C,
  ctx: ShipContext,
): err is WindowError & { cause: C } {
  return err instanceof WindowError && err.cause instanceof cause && !err.objectsLeft && ctx.signal?.aborted !== true;
}

/**
 * One build, and when the rules made series equal, a second that merges them. `stripper` gives
 * each pass its own (a DistinctStripper remembers what it saw); `find` is undefined when the
 * rules cannot change labels.
 */
async function buildMerging(
  ctx: ShipContext,
  window: Window,
  stripper: () => (labels: Labels) => Labels,
  find: { everySeries: boolean } | undefined,
): Promise<ShippedBlock | null> {
  try {
    return await buildAndUpload(ctx, window, stripper(), find && new CollisionFinder(find));
  } catch (err) {
    if (!retryableFor(err, CollisionsFound, ctx)) throw err;
    return await buildAndUpload(ctx, window, stripper(), new CollisionMerger(err.cause.suspects));
  }
}

/** The first pass found series that relabelling made equal; not an error anyone sees. */
class CollisionsFound extends Error {
  constructor(readonly suspects: ReadonlySet<number>) {
    super(`${suspects.size} label sets are shared by several series after relabelling`);
  }
}

/** The window's series: in batches from a source that batches and with no relabel queries, else one by one. */
function readWindow(
  ctx: ShipContext,
  window: Window,
): { batches: AsyncIterable<SeriesChunks[]> } | { series: AsyncIterable<SeriesChunks> } {
  const queries = ctx.relabel?.queries;
  const base = ctx.signal ? { signal: ctx.signal } : {};
  if (queries === undefined && ctx.source.readBatches !== undefined) {
    return { batches: ctx.source.readBatches(window, base) };
  }
  if (queries === undefined) return { series: ctx.source.read(window, base) };
  return { series: mergeSeriesStreams(queries.map((matchers) => ctx.source.read(window, { ...base, matchers }))) };
}

async function buildAndUpload(
  ctx: ShipContext,
  window: Window,
  strip: (labels: Labels) => Labels,
  collisions?: CollisionFinder | CollisionMerger,
): Promise<ShippedBlock | null> {
  const relabel = ctx.relabel;
  const stats: RelabelStats | undefined = relabel && {
    droppedSeries: 0,
    droppedSamples: 0,
    mergedSeries: 0,
    duplicateSamples: 0,
    rulesHash: relabel.hash,
  };
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
  const early: { started: boolean; failure?: unknown; uploaded: Set<string> } = {
    started: false,
    uploaded: new Set(),
  };
  try {
    /** One series into the block; a promise only when it has to wait for the disk. */
    const take = (series: SeriesChunks): Promise<void> | undefined => {
      stage = 'build';
      let labels = strip(series.labels);
      const chunks = fitChunksToWindow(series, window);
      if (relabel && stats && chunks.length > 0) {
        const out = relabel.relabeler.process(labels);
        if (out === null) {
          stats.droppedSeries++;
          stats.droppedSamples += countSamples(chunks);
          return undefined;
        }
        if (collisions instanceof CollisionFinder) collisions.add(out, out !== labels);
        else if (collisions?.hold(out, chunks, labels)) return undefined;
        labels = out;
      }
      // Most series go in without a promise; the rest wait for the disk.
      if (chunks.length > 0 && !writer.tryAddSeries(labels, chunks)) return writer.addSeries(labels, chunks);
      return undefined;
    };
    const source = readWindow(ctx, window);
    if ('batches' in source) {
      for await (const batch of source.batches) {
        for (const series of batch) {
          const wait = take(series);
          if (wait !== undefined) await wait;
        }
        stage = 'read';
      }
    } else {
      for await (const series of source.series) {
        const wait = take(series);
        if (wait !== undefined) await wait;
        stage = 'read';
      }
    }
    stage = 'build';
    if (collisions instanceof CollisionFinder) {
      const suspects = collisions.suspects();
      if (suspects.size > 0) throw new CollisionsFound(suspects);
    }
    if (collisions instanceof CollisionMerger && stats) {
      for (const { labels, chunks } of collisions.merged(window, stats)) {
        if (chunks.length > 0) await writer.addSeries(labels, chunks);
      }
    }
    written = await writer.finish({
      // The chunk segments are final before the index is built, which takes a while on a large
      // window; they go to the bucket meanwhile.
      whileIndexing: async (segments, stop) => {
        early.started = true;
        try {
          await uploadSegments(ctx.bucket, writer.ulid, segments, {
            signal: ctx.signal ? AbortSignal.any([ctx.signal, stop]) : stop,
          });
        } catch (err) {
          // Stopped by the writer: the block failed, and that is the error `finish` throws.
          if (!stop.aborted) early.failure = err;
          throw err;
        }
        for (const s of segments) early.uploaded.add(s.relPath);
      },
    });
  } catch (err) {
    await writer.abort();
    if (early.failure === err) throw new WindowError(window, 'upload', err);
    const left = early.started ? await removeEarlyObjects(ctx, writer.ulid) : undefined;
    throw new WindowError(window, stage, err, left);
  }
  if (written === null) return null;
  const buildMs = Date.now() - started;
  const uploadStarted = Date.now();
  try {
    const { bytes } = await uploadBlock(ctx.bucket, written, {
      uploaded: early.uploaded,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.beforePublish ? { beforePublish: ctx.beforePublish } : {}),
    });
    return {
      window,
      ulid: written.ulid,
      series: written.meta.stats.numSeries,
      samples: written.meta.stats.numSamples,
      chunks: written.meta.stats.numChunks,
      bytes,
      buildMs,
      uploadMs: Date.now() - uploadStarted,
      meta: written.meta,
      ...(stats ? { relabel: stats } : {}),
    };
  } catch (err) {
    throw new WindowError(window, 'upload', err);
  } finally {
    await rm(written.dir, { recursive: true, force: true });
  }
}

/**
 * Removes the chunk objects uploaded while a block whose index then failed was being finished,
 * so a failure to build leaves nothing in the bucket, as before the upload began early, and a
 * pass that reads the window again in this run (under the same ULID, perhaps with fewer
 * segments) finds none of this attempt's objects beside its own. Says why when they could not be
 * removed; the window is then not read again in this run.
 */
async function removeEarlyObjects(ctx: ShipContext, ulid: string): Promise<{ why: string } | undefined> {
  try {
    await clearPartialBlock(ctx.bucket, ulid, ctx.signal);
    return undefined;
  } catch (err) {
    return { why: err instanceof Error ? err.message : String(err) };
  }
}
