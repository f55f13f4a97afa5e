/**
 * Writes the heartbeat at the end of a run from what the run found: its summary, or the error that
 * ended it. Never throws: a heartbeat that cannot be written is a warning, and the run's own result
 * stands (the fleet view then sees the heartbeat age, which is what it is for).
 */
import type { Bucket } from '../bucket/bucket.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { writeHeartbeat, type HeartbeatDocument, type RunResult } from './heartbeat.ts';
import { loadInstanceId } from './instance-id.ts';
import type { RunSummary } from './shipper.ts';

export interface RunHeartbeatContext {
  bucket: Bucket;
  logger: Logger;
  dataDir: string;
  cluster: string;
  labels?: Record<string, string>;
  agentVersion: string;
  blockDurationMs: number;
  shipDelayMs: number;
  scheduleIntervalMs: number;
  runStartedAt: number;
  now?: () => number;
}

export type RunOutcome = { summary: RunSummary } | { result: Exclude<RunResult, 'success' | 'partial'>; code: string };

export async function writeRunHeartbeat(
  ctx: RunHeartbeatContext,
  outcome: RunOutcome,
): Promise<HeartbeatDocument | undefined> {
  try {
    const instanceId = await loadInstanceId(ctx.dataDir);
    let result: RunResult;
    let failingCodes: string[];
    let newestShippedEnd: number | undefined;
    let pendingWindows = 0;
    if ('summary' in outcome) {
      const s = outcome.summary;
      // A run that found another live writer stopped shipping: a refusal, never a success.
      const inUse = s.otherWriters.length > 0;
      failingCodes = [
        ...(inUse ? ['PROMSHIP_CLUSTER_ID_IN_USE'] : []),
        ...s.failed.map((f) => f.error.code),
        ...s.retrying.map((e) => e.lastErrorCode ?? 'PROMSHIP_WINDOW_FAILED'),
      ];
      result = inUse ? 'error' : failingCodes.length > 0 ? 'partial' : 'success';
      newestShippedEnd = s.newestShippedEnd;
      pendingWindows = s.pending;
    } else {
      result = outcome.result;
      failingCodes = [outcome.code];
    }
    return await writeHeartbeat(ctx.bucket, {
      cluster: ctx.cluster,
      ...(ctx.labels ? { labels: ctx.labels } : {}),
      agentVersion: ctx.agentVersion,
      instanceId,
      runStartedAt: ctx.runStartedAt,
      runEndedAt: (ctx.now ?? Date.now)(),
      result,
      failingCodes,
      newestShippedEnd,
      pendingWindows,
      blockDurationMs: ctx.blockDurationMs,
      shipDelayMs: ctx.shipDelayMs,
      scheduleIntervalMs: ctx.scheduleIntervalMs,
    });
  } catch (err) {
    ctx.logger.warn(
      { cluster: ctx.cluster, code: 'PROMSHIP_HEARTBEAT_FAILED', err: describeError(err) },
      'could not write the heartbeat; the run itself is unaffected',
    );
    return undefined;
  }
}
