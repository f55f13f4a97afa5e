/**
 * One shipping run: look at what the bucket holds, plan the complete windows nobody has shipped,
 * and ship them oldest first. A failed window does not stop the run: later windows still ship,
 * and the failed one is planned again next run because it still has no block.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bucket } from '../bucket/bucket.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Window } from '../series.ts';
import { BlockMetaCache } from './bucket-blocks.ts';
import { sameLabels } from './identity.ts';
import { shipWindow, WindowError, type SeriesSource, type ShippedBlock } from './ship-window.ts';
import { formatWindow, planWindows } from './windows.ts';

export interface ShipperOptions {
  source: SeriesSource;
  bucket: Bucket;
  dataDir: string;
  clusterId: string;
  thanosLabels: Record<string, string>;
  stripLabels: import('../labels.ts').Labels;
  blockDurationMs: number;
  shipDelayMs: number;
  maxBackfillMs: number;
  logger: Logger;
  /** The oldest sample Prometheus holds, when it can tell. */
  oldestData?: () => Promise<number | undefined>;
  now?: () => number;
}

export interface RunSummary {
  shipped: ShippedBlock[];
  failed: WindowError[];
  /** Windows with no samples: no block. */
  empty: Window[];
  /** Windows an existing block already covers. */
  covered: { window: Window; ulid: string }[];
  pending: number;
  durationMs: number;
}

export class Shipper {
  private readonly metas = new BlockMetaCache();
  private readonly now: () => number;

  constructor(private readonly opts: ShipperOptions) {
    this.now = opts.now ?? Date.now;
  }

  private get blocksDir(): string {
    return join(this.opts.dataDir, 'blocks');
  }

  /** Removes local leftovers of an interrupted run: nothing in the data dir must survive. */
  async prepare(): Promise<void> {
    await mkdir(this.blocksDir, { recursive: true });
    for (const name of await readdir(this.blocksDir)) await rm(join(this.blocksDir, name), { recursive: true, force: true });
  }

  async runOnce(signal?: AbortSignal): Promise<RunSummary> {
    const { logger, bucket } = this.opts;
    const started = this.now();
    await this.prepare();
    const inventory = await this.metas.scan(bucket, logger, signal);
    const ours = inventory.blocks.filter(
      (m) => sameLabels(m.thanos.labels, this.opts.thanosLabels) && (m.thanos.downsample?.resolution ?? 0) === 0,
    );
    const oldestDataMs = await this.opts.oldestData?.();
    const plan = planWindows({
      now: started,
      durationMs: this.opts.blockDurationMs,
      shipDelayMs: this.opts.shipDelayMs,
      maxBackfillMs: this.opts.maxBackfillMs,
      ...(oldestDataMs !== undefined ? { oldestDataMs } : {}),
      covered: ours.map((m) => ({ start: m.minTime, end: m.maxTime, ulid: m.ulid })),
    });
    const summary: RunSummary = { shipped: [], failed: [], empty: [], covered: plan.covered, pending: plan.toShip.length, durationMs: 0 };
    if (plan.covered.length > 0) {
      logger.debug({ windows: plan.covered.length }, 'windows already covered by blocks in the bucket');
    }
    for (const window of plan.toShip) {
      signal?.throwIfAborted();
      try {
        const block = await shipWindow(
          {
            source: this.opts.source,
            bucket,
            blocksDir: this.blocksDir,
            thanosLabels: this.opts.thanosLabels,
            stripLabels: this.opts.stripLabels,
            ...(signal ? { signal } : {}),
          },
          window,
        );
        summary.pending--;
        if (block === null) {
          summary.empty.push(window);
          logger.debug({ window: formatWindow(window) }, 'window has no samples; no block');
          continue;
        }
        summary.shipped.push(block);
        logger.info(
          {
            cluster: this.opts.clusterId,
            window: formatWindow(window),
            ulid: block.ulid,
            series: block.series,
            samples: block.samples,
            chunks: block.chunks,
            bytes: block.bytes,
            buildMs: block.buildMs,
            uploadMs: block.uploadMs,
          },
          'shipped block',
        );
      } catch (err) {
        if (signal?.aborted) throw err;
        const failure = err instanceof WindowError ? err : new WindowError(window, 'upload', err);
        summary.failed.push(failure);
        logger.error(
          { cluster: this.opts.clusterId, window: formatWindow(window), code: failure.code, err: describeError(failure.cause ?? failure) },
          'window failed',
        );
      }
    }
    summary.durationMs = this.now() - started;
    logger.info(
      {
        cluster: this.opts.clusterId,
        shipped: summary.shipped.length,
        failed: summary.failed.length,
        empty: summary.empty.length,
        alreadyCovered: summary.covered.length,
        durationMs: summary.durationMs,
      },
      'run finished',
    );
    return summary;
  }
}
