/**
 * One shipping run, in the spirit of Thanos' shipper sync loop: look at what the bucket holds,
 * plan the complete windows nobody has shipped, and ship them oldest first. A failed window does
 * not stop the run: later windows still ship, and the failed one is retried on a later run after
 * an exponential backoff.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ulid as newUlid, decodeTime } from 'ulidx';
import type { Bucket } from '../bucket/bucket.ts';
import { clearPartialBlock } from '../bucket/upload-block.ts';
import type { ErrorCode } from '../error-codes.ts';
import { describeError, promshipCode } from '../errors.ts';
import type { Labels } from '../labels.ts';
import type { Logger } from '../log.ts';
import { formatWindow, type Window } from '../series.ts';
import { META_FILENAME, parseBlockMeta } from '../tsdb/meta.ts';
import { BlockMetaCache, coveringBlocks, rawBlocksOf } from './bucket-blocks.ts';
import { sameLabels } from './identity.ts';
import { loadLocalState, saveLocalState, type LocalState } from './local-state.ts';
import { Ledger, nextRetryDelay, type BackoffPolicy, type LedgerEntry } from './ledger.ts';
import type { RelabelPlan } from '../relabel/plan.ts';
import { shipWindow, WindowError, type SeriesSource, type ShippedBlock } from './ship-window.ts';
import { overlaps, planWindows, uncovered, type Plan } from './windows.ts';
import { ClaimLostError, type ClaimOutcome, type HeldClaim, type WindowClaims } from './window-claims.ts';

/** The window's claim is another instance's: what `acquire` or `renew` found instead of ours. */
function claimedByAnother(outcome: Extract<ClaimOutcome, { owned: false }>): ClaimLostError {
  return new ClaimLostError(
    `window claimed by instance ${outcome.holder.instance} at ${new Date(outcome.holder.claimedAt).toISOString()}`,
    outcome.holder,
    outcome.live,
  );
}

/** A claimed ULID is resumed only while young: Thanos deletes partial uploads by ULID age. */
const RESUME_MAX_AGE_MS = 6 * 3_600_000;
/** How long the ledger remembers shipped ranges at least, whatever one run's backfill. */
const RANGES_KEPT_MS = 400 * 86_400_000;
/** What a claim left standing by a run that ended mid-window says about it. */
const INTERRUPTED_CODE: ErrorCode = 'PROMSHIP_WINDOW_INTERRUPTED';
const INTERRUPTED_MESSAGE =
  "the run shipping this window ended before finishing it (crashed, killed or stopped); see that run's output";
/** An empty window is read again now and then, in case Prometheus was not yet answering fully. */
const EMPTY_RECHECK_MS = 6 * 3_600_000;
const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 60_000, maxMs: 3_600_000 };

export interface ShipperOptions {
  source: SeriesSource;
  bucket: Bucket;
  dataDir: string;
  clusterId: string;
  thanosLabels: Record<string, string>;
  stripLabels: Labels;
  blockDurationMs: number;
  shipDelayMs: number;
  maxBackfillMs: number;
  logger: Logger;
  backoff?: BackoffPolicy;
  /**
   * Per-window claims in the bucket (one writer per window even with two agents on one cluster
   * id); without them only the data dir's run lock keeps two writers apart.
   */
  claims?: WindowClaims;
  /** Log what the store's conditional writes are worth at info (the first run), else at debug. */
  announce?: boolean;
  /** The oldest sample Prometheus holds, when it can tell. */
  oldestData?: (signal?: AbortSignal) => Promise<number | undefined>;
  now?: () => number;
  /** Relabel rules applied to every series before it is written (none when undefined). */
  relabel?: RelabelPlan | undefined;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Try failed windows now even if their backoff has not passed (`promship once`). */
  ignoreBackoff?: boolean;
  /** Called as each window it tries ends, shipped or not: the run is making progress. */
  onWindowDone?: () => void;
}

export interface FailedWindow {
  window: Window;
  error: WindowError;
  attempts: number;
  nextRetryAt: number;
}

export interface RunSummary {
  shipped: ShippedBlock[];
  failed: FailedWindow[];
  /** Windows that failed on an earlier run and wait for their retry time (not tried this run). */
  retrying: LedgerEntry[];
  /** Windows with no samples: no block. */
  empty: Window[];
  /** Windows that a block in the bucket already covers. */
  covered: { window: Window; ulid: string }[];
  /** Complete windows still unshipped after this run (failed or waiting for their retry). */
  pending: number;
  /** Windows left alone because another instance claimed them (or published a block meanwhile). */
  claimedElsewhere: ClaimedElsewhere[];
  /** Other instances seen writing this cluster's windows while this run went on: a second live writer. */
  otherWriters: OtherWriter[];
  /** End of the newest window that has a block, ms. */
  newestShippedEnd: number | undefined;
  /**
   * Start of the oldest window this run considered (the backfill horizon, capped by the oldest
   * data in Prometheus): while nothing was ever shipped, the lag counts from there.
   */
  plannedFrom: number;
  /** Windows found never shipped and now spanned by a compacted block (PROMSHIP_WINDOW_OVERTAKEN): lost for good. */
  overtaken: number;
  durationMs: number;
}

export interface ClaimedElsewhere {
  window: Window;
  instance: string | undefined;
  live: boolean;
}

export interface OtherWriter {
  instance: string;
  host?: string;
  /** What showed it is alive, for the log line. */
  evidence: string;
}

export class Shipper {
  private readonly metas = new BlockMetaCache();
  private readonly now: () => number;
  private readonly backoff: BackoffPolicy;
  private lastCoveredCount = -1;
  private localStateLoaded = false;
  /** As read from the data dir at the first run, so an unchanged state is not written again. */
  private loadedState: LocalState | undefined;
  /** The meta cache's change count and the covered count when the state was last read or saved. */
  private savedAt: { metaChanges: number; covered: number } | undefined;

  constructor(private readonly opts: ShipperOptions) {
    this.now = opts.now ?? Date.now;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
  }

  private get blocksDir(): string {
    return join(this.opts.dataDir, 'blocks');
  }

  private get localStateFile(): string {
    return join(this.opts.dataDir, 'shipper-state.json');
  }

  private async restoreLocalState(): Promise<void> {
    if (this.localStateLoaded) return;
    this.localStateLoaded = true;
    const state = await loadLocalState(this.localStateFile);
    if (!state) return;
    this.loadedState = state;
    this.metas.restore(state.metas);
    this.lastCoveredCount = state.coveredReported;
    this.savedAt = { metaChanges: this.metas.changes, covered: this.lastCoveredCount };
  }

  /**
   * Called after the scan, after planning and at the end of a run; most calls have nothing new,
   * and telling so by encoding every cached meta (tens of ms for thousands of blocks) would put
   * that cost on every run's start.
   */
  private async keepLocalState(): Promise<void> {
    const now = { metaChanges: this.metas.changes, covered: this.lastCoveredCount };
    if (this.savedAt?.metaChanges === now.metaChanges && this.savedAt.covered === now.covered) return;
    try {
      const state = { metas: this.metas.entries(), coveredReported: this.lastCoveredCount };
      await saveLocalState(this.localStateFile, state, this.loadedState);
      this.loadedState = state;
      this.savedAt = now;
    } catch (err) {
      // Only a cache (e.g. the data dir is full): the next run asks the bucket again.
      this.opts.logger.debug({ err: describeError(err) }, 'could not save the shipper state to the data dir');
    }
  }

  /** Removes local leftovers of an interrupted run: nothing in the data dir must survive. */
  private async clearLocal(): Promise<void> {
    await mkdir(this.blocksDir, { recursive: true });
    for (const name of await readdir(this.blocksDir))
      await rm(join(this.blocksDir, name), { recursive: true, force: true });
  }

  async runOnce(runOpts: RunOptions = {}): Promise<RunSummary> {
    const { logger, bucket } = this.opts;
    const { signal } = runOpts;
    const started = this.now();
    await this.clearLocal();
    await this.restoreLocalState();
    let inventory;
    try {
      inventory = await this.metas.scan(bucket, logger, signal);
    } finally {
      // Saved even when the scan fails part way: a block's meta.json never changes, and each run
      // is a new process, so a store failing now and then would otherwise have every run
      // download the whole bucket's metas again, and fail again, before it ships anything.
      await this.keepLocalState();
    }
    const ours = rawBlocksOf(inventory.blocks, this.opts.thanosLabels);
    const { ledger, problem } = await Ledger.load(bucket, this.opts.clusterId, this.opts.thanosLabels, signal);
    if (problem) logger.warn({ cluster: this.opts.clusterId }, problem);
    const oldestDataMs = await this.oldestData(signal);
    const plan = planWindows({
      now: started,
      durationMs: this.opts.blockDurationMs,
      shipDelayMs: this.opts.shipDelayMs,
      maxBackfillMs: this.opts.maxBackfillMs,
      ...(oldestDataMs !== undefined ? { oldestDataMs } : {}),
      covered: coveringBlocks(inventory.blocks, this.opts.thanosLabels),
      remembered: ledger.shippedRanges(),
    });
    ledger.prune(
      started - this.opts.maxBackfillMs - this.opts.blockDurationMs,
      started - Math.max(this.opts.maxBackfillMs, RANGES_KEPT_MS) - this.opts.blockDurationMs,
    );
    ledger.plannedFrom = plan.from;
    const summary: RunSummary = {
      shipped: [],
      failed: [],
      retrying: [],
      empty: [],
      covered: plan.covered,
      pending: 0,
      claimedElsewhere: [],
      otherWriters: [],
      newestShippedEnd: ours.reduce<number | undefined>(
        (n, m) => (n === undefined || m.maxTime > n ? m.maxTime : n),
        undefined,
      ),
      plannedFrom: plan.from,
      overtaken: 0,
      durationMs: 0,
    };
    summary.overtaken = this.reportCovered(plan, ledger);
    await this.keepLocalState();
    await this.prepareClaims(plan.from, signal);

    for (const window of plan.toShip) {
      signal?.throwIfAborted();
      const entry = ledger.get(window);
      if (entry?.state === 'empty' && started - (entry.shippedAt ?? 0) < EMPTY_RECHECK_MS) continue;
      // A claim still standing is an attempt that a crash, a kill or a stop cut short: it waits
      // out the backoff its claim set, as a failure does, so that a window that takes its run
      // down (out of memory, say) cannot keep every later window from shipping.
      if (
        (entry?.state === 'failed' || entry?.state === 'claimed') &&
        !runOpts.ignoreBackoff &&
        (entry.nextRetryAt ?? 0) > started
      ) {
        summary.pending++;
        summary.retrying.push(entry);
        continue;
      }
      await this.shipOne(window, entry, ledger, summary, signal);
      runOpts.onWindowDone?.();
    }
    await this.keepLocalState();
    try {
      await ledger.save(this.now(), signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      // The blocks in the bucket stay the truth; losing the ledger's bookkeeping must not lose
      // this run's summary (shipped blocks, failed windows) for the metrics and the health line.
      logger.warn({ err: describeError(err) }, 'could not save the ledger at the end of the run');
    }
    summary.durationMs = this.now() - started;
    logger.info(
      {
        cluster: this.opts.clusterId,
        shipped: summary.shipped.length,
        failed: summary.failed.length,
        empty: summary.empty.length,
        alreadyInBucket: summary.covered.length,
        pending: summary.pending,
        lagSeconds:
          summary.newestShippedEnd === undefined ? null : Math.round((this.now() - summary.newestShippedEnd) / 1000),
        durationMs: summary.durationMs,
      },
      'run finished',
    );
    return summary;
  }

  /** Learns whether the store honours conditional writes (logged), and drops claims of windows out of the horizon. */
  private async prepareClaims(from: number, signal?: AbortSignal): Promise<void> {
    const { claims, logger } = this.opts;
    if (!claims) return;
    const conditional = await claims.honoursPreconditions(signal);
    if (!conditional) {
      logger[this.opts.announce === false ? 'debug' : 'warn'](
        { bucket: this.opts.bucket.description, code: 'PROMSHIP_BUCKET_NO_CONDITIONAL_WRITES' },
        'one writer: the bucket ignores conditional writes (If-None-Match); window claims are read back and checked again before each meta.json, which leaves two agents on one cluster id a race of about one request (see docs/one-writer.md)',
      );
    }
    try {
      const pruned = await claims.prune(from, signal);
      if (pruned > 0) logger.debug({ claims: pruned }, 'deleted window claims older than the planning horizon');
    } catch (err) {
      if (signal?.aborted) throw err;
      logger.debug({ err: describeError(err) }, 'could not delete old window claims');
    }
  }

  private async oldestData(signal?: AbortSignal): Promise<number | undefined> {
    if (!this.opts.oldestData) return undefined;
    try {
      return await this.opts.oldestData(signal);
    } catch (err) {
      // Only an optimisation: without it, the backfill horizon alone bounds the plan.
      this.opts.logger.debug({ err: describeError(err) }, 'could not learn the oldest sample time');
      return undefined;
    }
  }

  /**
   * Records in the ledger the ULID the window's block will have, before anything is read: the
   * ULID of an interrupted upload (its leftovers removed) when it is recent enough, else a new one.
   * Returns it with the window's attempts so far (an interrupted claim counts as one).
   */
  private async claim(
    window: Window,
    entry: LedgerEntry | undefined,
    ledger: Ledger,
    now: number,
    signal?: AbortSignal,
  ): Promise<{ ulid: string; attempts: number; owned?: HeldClaim }> {
    try {
      let ulid: string;
      let owned: HeldClaim | undefined;
      if (this.opts.claims) {
        // The bucket's claim, not the shared ledger, says which ULID is this instance's: another
        // agent's ledger entry must never make this one clear or reuse that agent's block.
        // With no claim at all for the window, a ULID the ledger holds as claimed was claimed by
        // an agent from before window claims (every later one claims in the bucket first): its
        // interrupted upload is resumed as before. Never on a takeover, where it may be the other
        // agent's.
        const ledgerUlid =
          entry?.ulid && entry.state !== 'shipped' && now - decodeTime(entry.ulid) < RESUME_MAX_AGE_MS
            ? entry.ulid
            : undefined;
        const outcome = await this.opts.claims.acquire(
          window,
          (takingOver) => (!takingOver && ledgerUlid !== undefined ? ledgerUlid : newUlid(now)),
          signal,
        );
        if (!outcome.owned) throw claimedByAnother(outcome);
        owned = outcome;
        if (outcome.tookOverFrom) {
          this.opts.logger.warn(
            {
              window: formatWindow(window),
              from: outcome.tookOverFrom.instance,
              claimedAt: new Date(outcome.tookOverFrom.claimedAt).toISOString(),
              code: 'PROMSHIP_WINDOW_CLAIM_TAKEN_OVER',
            },
            'one writer: took over the window claim of an instance that left it without a block',
          );
        }
        ulid = outcome.body.ulid;
        const resumed = outcome.resumed || (outcome.tookOverFrom === undefined && ulid === ledgerUlid);
        // Whether the claim needs a new generation under a new ULID, and why.
        let renew: string | undefined;
        if (resumed && now - decodeTime(ulid) < RESUME_MAX_AGE_MS) {
          try {
            const { objects, incompleteUploads } = await clearPartialBlock(this.opts.bucket, ulid, signal);
            if (objects + incompleteUploads > 0)
              this.opts.logger.info(
                { window: formatWindow(window), ulid, objects, incompleteUploads },
                'resuming an interrupted upload under its claimed ULID',
              );
          } catch (err) {
            // Published, but the window is planned: the block is for other labels (the cluster's
            // external labels changed since), and this window needs a block of its own.
            if (promshipCode(err, 'PROMSHIP_ERROR') !== 'PROMSHIP_BUCKET_BLOCK_PUBLISHED') throw err;
            if (await this.publishedWithOurLabels(ulid, signal)) throw err;
            renew = 'its claimed block was published under other external labels';
          }
        } else if (outcome.resumed) {
          // Too old to build under. What an interrupted upload under it left is of no use now.
          await clearPartialBlock(this.opts.bucket, ulid, signal).catch(() => undefined);
          renew = 'its claimed ULID is too old to resume';
        }
        if (renew !== undefined) {
          // Recorded in a new generation of the claim, so that the next attempt resumes this ULID
          // and clears what this one may leave, rather than picking yet another.
          const renewed = await this.opts.claims.renew(window, outcome, newUlid(now), signal);
          if (!renewed.owned) throw claimedByAnother(renewed);
          this.opts.logger.info(
            { window: formatWindow(window), from: ulid, ulid: renewed.body.ulid, reason: renew },
            "one writer: the window's claim moves to a new ULID",
          );
          owned = renewed;
          ulid = renewed.body.ulid;
        }
      } else if (entry?.ulid && entry.state !== 'shipped' && now - decodeTime(entry.ulid) < RESUME_MAX_AGE_MS) {
        ulid = entry.ulid;
        const { objects, incompleteUploads } = await clearPartialBlock(this.opts.bucket, ulid, signal);
        if (objects + incompleteUploads > 0)
          this.opts.logger.info(
            { window: formatWindow(window), ulid, objects, incompleteUploads },
            'resuming an interrupted upload under its claimed ULID',
          );
      } else {
        ulid = newUlid(now);
      }
      const interrupted = entry?.state === 'claimed';
      const attempts = (entry?.attempts ?? 0) + (interrupted ? 1 : 0);
      const lastError = interrupted
        ? { lastError: INTERRUPTED_MESSAGE, lastErrorCode: INTERRUPTED_CODE }
        : entry?.lastError !== undefined
          ? { lastError: entry.lastError, lastErrorCode: entry.lastErrorCode ?? 'PROMSHIP_WINDOW_FAILED' }
          : {};
      ledger.set({
        start: window.start,
        end: window.end,
        state: 'claimed',
        ulid,
        claimedAt: now,
        attempts,
        ...lastError,
        // Should this attempt be cut short too, the window waits as after a failure.
        nextRetryAt: now + nextRetryDelay(attempts + 1, this.backoff),
      });
      try {
        await ledger.save(now, signal);
      } catch (err) {
        // With a window claim, the bucket already records this instance's ULID for the window,
        // which is what the ledger's claim was for; the ledger is bookkeeping, and it is shared
        // by every agent of the cluster (a second one writing it at this moment fails the save).
        if (!owned || signal?.aborted) throw err;
        this.opts.logger.warn(
          { window: formatWindow(window), err: describeError(err) },
          'one writer: could not record the claim in the ledger; the window claim in the bucket holds it',
        );
      }
      return { ulid, attempts, ...(owned ? { owned } : {}) };
    } catch (err) {
      throw new WindowError(window, 'claim', err);
    }
  }

  /** Claims, ships and records one window; failures are recorded, never thrown (except aborts). */
  private async shipOne(
    window: Window,
    entry: LedgerEntry | undefined,
    ledger: Ledger,
    summary: RunSummary,
    signal?: AbortSignal,
  ): Promise<void> {
    const { logger, bucket } = this.opts;
    const now = this.now();
    let attempts = entry?.attempts ?? 0;
    let ulid: string | undefined;
    try {
      const claimed = await this.claim(window, entry, ledger, now, signal);
      ulid = claimed.ulid;
      attempts = claimed.attempts;
      const { owned } = claimed;
      const claims = this.opts.claims;
      const block = await shipWindow(
        {
          source: this.opts.source,
          bucket,
          blocksDir: this.blocksDir,
          thanosLabels: this.opts.thanosLabels,
          stripLabels: this.opts.stripLabels,
          relabel: this.opts.relabel,
          ulid,
          ...(signal ? { signal } : {}),
          ...(claims && owned
            ? { beforePublish: () => this.checkBeforePublish(claims, window, owned, claimed.ulid, ledger, signal) }
            : {}),
        },
        window,
      );
      if (block === null) {
        summary.empty.push(window);
        ledger.set({ start: window.start, end: window.end, state: 'empty', shippedAt: this.now() });
        logger.debug({ window: formatWindow(window) }, 'window has no samples; no block');
        try {
          await ledger.save(this.now(), signal);
        } catch (err) {
          // As after a shipped block: the window is done, and without the entry the next run only
          // reads it again and finds it empty again.
          if (signal?.aborted) throw err;
          logger.warn({ err: describeError(err) }, 'could not record the empty window in the ledger');
        }
        return;
      }
      summary.shipped.push(block);
      this.metas.remember(block.meta);
      if (summary.newestShippedEnd === undefined || window.end > summary.newestShippedEnd)
        summary.newestShippedEnd = window.end;
      ledger.set({ start: window.start, end: window.end, state: 'shipped', ulid, shippedAt: this.now() });
      ledger.markRules(window, this.opts.relabel?.hash ?? 'none');
      const r = block.relabel;
      logger.info(
        {
          cluster: this.opts.clusterId,
          window: formatWindow(window),
          ulid: block.ulid,
          series: block.series,
          samples: block.samples,
          chunks: block.chunks,
          bytes: block.bytes,
          durationMs: block.buildMs + block.uploadMs,
          lagSeconds: Math.round((this.now() - window.end) / 1000),
          ...(this.confirmStartedAt.has(window.start)
            ? { checkToPublishMs: Date.now() - this.confirmStartedAt.get(window.start)! }
            : {}),
          ...(r
            ? {
                rulesHash: r.rulesHash,
                droppedSeries: r.droppedSeries,
                droppedSamples: r.droppedSamples,
                mergedSeries: r.mergedSeries,
                duplicateSamples: r.duplicateSamples,
              }
            : {}),
        },
        'shipped block',
      );
      if (block.seriesKeepingExternalLabels) {
        logger.warn(
          { window: formatWindow(window), ulid: block.ulid, series: block.seriesKeepingExternalLabels },
          'twin series kept apart by an external label',
        );
      }
      try {
        await ledger.save(this.now(), signal);
      } catch (err) {
        // The block is published; the bucket already says so. The ledger catches up next save.
        logger.warn({ err: describeError(err) }, 'could not record the shipped window in the ledger');
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      const lost = claimLost(err);
      if (lost) {
        await this.yieldWindow(window, lost, ledger, summary, ulid, signal);
        return;
      }
      const error = err instanceof WindowError ? err : new WindowError(window, 'upload', err);
      const failedAt = this.now();
      const nextRetryAt = failedAt + nextRetryDelay(attempts + 1, this.backoff);
      const current = ledger.get(window);
      ledger.set({
        start: window.start,
        end: window.end,
        state: 'failed',
        ...(current?.ulid ? { ulid: current.ulid, claimedAt: current.claimedAt ?? failedAt } : {}),
        attempts: attempts + 1,
        lastError: error.message,
        lastErrorCode: error.code,
        nextRetryAt,
      });
      summary.failed.push({ window, error, attempts: attempts + 1, nextRetryAt });
      summary.pending++;
      logger.error(
        {
          cluster: this.opts.clusterId,
          window: formatWindow(window),
          code: error.code,
          attempt: attempts + 1,
          nextRetry: new Date(nextRetryAt).toISOString(),
          err: describeError(error.cause ?? error),
        },
        'window failed',
      );
      try {
        await ledger.save(failedAt, signal);
      } catch {
        // The bucket is likely what failed; the failure is in memory and logged, and the claim is safe to redo.
      }
    }
  }

  /**
   * Right before meta.json: the window's claim must still be this instance's, and no block of
   * these labels may have appeared over the window since the run looked (a second agent on a
   * store that ignores conditional writes, or one that took a claim over).
   */
  /** Whether the published block `ulid` carries this cluster's current external labels. */
  private async publishedWithOurLabels(ulid: string, signal?: AbortSignal): Promise<boolean> {
    const raw = await this.opts.bucket.get(`${ulid}/${META_FILENAME}`, { signal });
    if (raw === null) return false;
    return sameLabels(parseBlockMeta(raw, `${ulid}/${META_FILENAME}`).thanos.labels, this.opts.thanosLabels);
  }

  private async checkBeforePublish(
    claims: WindowClaims,
    window: Window,
    owned: HeldClaim,
    ulid: string,
    ledger: Ledger,
    signal?: AbortSignal,
  ): Promise<void> {
    this.confirmStartedAt.set(window.start, Date.now());
    await claims.confirm(window, owned, signal);
    // What this looks for is another writer's block over the window. The meta.json of the block
    // about to be published (`ulid`; the claim's own, unless a claim too old to resume was given
    // a new one) cannot be there yet, and a ULID this cluster's ledger gives to a window that
    // does not overlap this one names a block of that window alone (a ULID is never reused for
    // another window). Those are this agent's own unfinished uploads: asking for each of their
    // meta.json before every window made a store that fails now and then fail the check ever
    // more often as failed windows left more of them behind.
    const notAsked = new Set([ulid, owned.body.ulid]);
    for (const e of ledger.all())
      if (e.ulid !== undefined && e.state !== 'shipped' && !overlaps(e, window)) notAsked.add(e.ulid);
    const inventory = await this.metas.scan(this.opts.bucket, this.opts.logger, signal, notAsked);
    const other = coveringBlocks(inventory.blocks, this.opts.thanosLabels).find(
      (b) => overlaps(b, window) && b.ulid !== owned.body.ulid,
    );
    if (other) {
      throw new ClaimLostError(
        `block ${other.ulid} of these labels appeared over the window; not publishing a second one`,
        undefined,
        decodeTime(other.ulid) >= this.startedAt,
      );
    }
  }

  /**
   * When each window's last check before meta.json began: from then until meta.json lands, a
   * second agent on a store without conditional writes could still slip in (logged, measured).
   */
  private readonly confirmStartedAt = new Map<number, number>();

  /** When this process started: what another instance wrote after it, it wrote while alive. */
  private readonly startedAt = Date.now();

  /** Leaves a window to the instance that holds it: nothing of ours stays in the bucket, no failure is counted. */
  private async yieldWindow(
    window: Window,
    lost: ClaimLostError,
    ledger: Ledger,
    summary: RunSummary,
    ulid: string | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    const { logger, bucket } = this.opts;
    const current = ledger.get(window);
    // Our own partial objects only: the ULID is ours when the claim recorded it for this instance.
    if (ulid !== undefined && current?.ulid === ulid) {
      try {
        await clearPartialBlock(bucket, ulid, signal);
      } catch (err) {
        if (signal?.aborted) throw err;
        logger.warn(
          { window: formatWindow(window), ulid, err: describeError(err) },
          'one writer: could not remove the objects of a block that will not be published; Thanos deletes such partial uploads after 2 days',
        );
      }
    }
    ledger.delete(window);
    summary.claimedElsewhere.push({ window, instance: lost.holder?.instance, live: lost.live });
    if (lost.live && lost.holder && !summary.otherWriters.some((w) => w.instance === lost.holder?.instance)) {
      summary.otherWriters.push({
        instance: lost.holder.instance,
        ...(lost.holder.host !== undefined ? { host: lost.holder.host } : {}),
        evidence: `claimed window ${formatWindow(window)} at ${new Date(lost.holder.claimedAt).toISOString()}, while this instance was running`,
      });
    }
    logger.info(
      {
        cluster: this.opts.clusterId,
        window: formatWindow(window),
        holder: lost.holder?.instance,
        reason: lost.message,
      },
      'one writer: window claimed by another instance; not shipping it',
    );
    try {
      await ledger.save(this.now(), signal);
    } catch {
      // Bookkeeping only: the claim in the bucket is what keeps this agent off the window.
    }
  }

  /**
   * Takes what the bucket's blocks cover into the ledger's memory, logs one line when the set of
   * windows found already in the bucket changes (e.g. adopted sidecar blocks), and retires the
   * claims and failures of windows that another block now covers.
   */
  private reportCovered(plan: Plan, ledger: Ledger): number {
    let overtaken = 0;
    const { covered } = plan;
    const foreign = covered.filter((c) => ledger.get(c.window)?.ulid !== c.ulid);
    if (covered.length !== this.lastCoveredCount && foreign.length > 0) {
      this.opts.logger.info(
        {
          cluster: this.opts.clusterId,
          windows: foreign.length,
          first: formatWindow(foreign[0]!.window),
          last: formatWindow(foreign.at(-1)!.window),
          blocks: [...new Set(foreign.map((c) => c.ulid))].slice(0, 20),
        },
        'skipping windows already covered by blocks in the bucket',
      );
    }
    this.lastCoveredCount = covered.length;
    for (const c of covered) ledger.markShipped(c.window);
    for (const entry of ledger.all()) {
      if (entry.state !== 'failed' && entry.state !== 'claimed') continue;
      const by = covered.filter((c) => overlaps(c.window, entry));
      if (by.length === 0) continue;
      if (entry.ulid !== undefined && by.some((c) => c.ulid === entry.ulid)) {
        // Its own block was published (an answer lost, a crash after meta.json): shipped.
        ledger.set({ start: entry.start, end: entry.end, state: 'shipped', ulid: entry.ulid, shippedAt: this.now() });
        continue;
      }
      // Another block covers the window, wholly or partly; the uncovered parts, if any, are
      // planned as windows of their own, so this entry is done either way.
      ledger.delete(entry);
      const compacted = by.find((c) => c.level > 1);
      if (
        compacted &&
        uncovered(
          entry,
          by.map((c) => c.window),
        ).length === 0
      ) {
        overtaken++;
        this.opts.logger.error(
          {
            cluster: this.opts.clusterId,
            window: formatWindow(entry),
            block: compacted.ulid,
            attempts: entry.attempts,
            lastError: entry.lastError,
            code: 'PROMSHIP_WINDOW_OVERTAKEN',
          },
          'window never shipped and now spanned by a compacted block; it can no longer be shipped without overlapping it',
        );
      }
    }
    return overtaken;
  }
}

function claimLost(err: unknown): ClaimLostError | undefined {
  let cur: unknown = err;
  for (let depth = 0; cur instanceof Error && depth < 5; depth++, cur = cur.cause)
    if (cur instanceof ClaimLostError) return cur;
  return undefined;
}
