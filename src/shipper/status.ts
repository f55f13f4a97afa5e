/**
 * `promship status`: what the bucket and the ledger say about this cluster's shipping, without
 * reading Prometheus: the newest shipped window and the lag behind it, the windows still to ship,
 * and the failing ones with their last error and next retry.
 */
import type { Bucket } from '../bucket/bucket.ts';
import type { Window } from '../series.ts';
import { BlockMetaCache, coveringBlocks, rawBlocksOf } from './bucket-blocks.ts';
import { Ledger, type LedgerEntry } from './ledger.ts';
import { planWindows } from './windows.ts';

export interface StatusReport {
  cluster: string;
  labels: Record<string, string>;
  now: number;
  blocks: number;
  newestShipped: { window: Window; ulid: string } | null;
  lagSeconds: number | null;
  /** Complete windows in the backfill horizon with no block (failed, or not yet tried). */
  pending: Window[];
  failing: LedgerEntry[];
  ledgerUpdatedAt: number | null;
  /** The relabel rules (by hash; `none` without rules) each shipped range was shipped under, oldest first. */
  rules: { start: number; end: number; hash: string }[];
}

export interface StatusOptions {
  clusterId: string;
  labels: Record<string, string>;
  blockDurationMs: number;
  shipDelayMs: number;
  maxBackfillMs: number;
  now?: number;
}

export async function shippingStatus(bucket: Bucket, opts: StatusOptions): Promise<StatusReport> {
  const now = opts.now ?? Date.now();
  const { blocks } = await new BlockMetaCache().scan(bucket);
  const ours = rawBlocksOf(blocks, opts.labels);
  const { ledger } = await Ledger.load(bucket, opts.clusterId, opts.labels);
  const newest = ours.reduce<(typeof ours)[number] | undefined>(
    (n, m) => (n === undefined || m.maxTime > n.maxTime ? m : n),
    undefined,
  );
  const plan = planWindows({
    now,
    durationMs: opts.blockDurationMs,
    shipDelayMs: opts.shipDelayMs,
    maxBackfillMs: opts.maxBackfillMs,
    covered: coveringBlocks(blocks, opts.labels),
    remembered: ledger.shippedRanges(),
    // Status does not ask Prometheus how old its data is; the last run's horizon says it.
    ...(ledger.plannedFrom !== null ? { oldestDataMs: ledger.plannedFrom } : {}),
  });
  const entries = ledger.all();
  return {
    cluster: opts.clusterId,
    labels: opts.labels,
    now,
    blocks: ours.length,
    newestShipped: newest ? { window: { start: newest.minTime, end: newest.maxTime }, ulid: newest.ulid } : null,
    lagSeconds: newest ? Math.round((now - newest.maxTime) / 1000) : null,
    pending: plan.toShip.filter((w) => ledger.get(w)?.state !== 'empty'),
    // A claim that carries an error was cut short before (a crash, a kill) and is being retried.
    failing: entries.filter((e) => e.state === 'failed' || (e.state === 'claimed' && e.lastErrorCode !== undefined)),
    ledgerUpdatedAt: ledger.updatedAt,
    rules: ledger.rulesByRange(),
  };
}
