/**
 * The agent's heartbeat: `promship/<cluster>/heartbeat.json` beside the ledger, rewritten at the end
 * of every run, whatever its result, so the fleet view (`promship fleet`) can tell from the bucket
 * alone when an agent stopped running, what its last run found, and whether two agents write for
 * one cluster. What must outlive a pod (the last successful run, the writers seen lately) is
 * carried over from the previous heartbeat, never kept only in the data dir.
 */
import type { Bucket } from '../bucket/bucket.ts';

export type RunResult = 'success' | 'partial' | 'error' | 'skipped';

export interface HeartbeatDocument {
  version: 1;
  cluster: string;
  /** The cluster's external labels, when the run learned them (absent when it failed before). */
  labels?: Record<string, string>;
  agentVersion: string;
  instanceId: string;
  runStartedAt: number;
  runEndedAt: number;
  result: RunResult;
  /** Stable PROMSHIP_* codes of what failed: the run itself, or its failing windows. */
  failingCodes: string[];
  /** End of the newest block of this cluster, ms; null when none is known. */
  newestShippedEnd: number | null;
  /** runEndedAt minus newestShippedEnd, seconds; null when nothing was ever shipped. */
  lagSeconds: number | null;
  pendingWindows: number;
  blockDurationMs: number;
  shipDelayMs: number;
  /** Between two scheduled runs, ms: the fleet view calls an agent stale after 3 of them. */
  scheduleIntervalMs: number;
  /** When a run last ended with no failing window, ms, carried over from earlier heartbeats. */
  lastSuccessAt: number | null;
  /** Instance id → when it last wrote this heartbeat, ms: the writers seen in recent intervals. */
  writers: Record<string, number>;
}

export function heartbeatKey(clusterId: string): string {
  return `promship/${encodeURIComponent(clusterId)}/heartbeat.json`;
}

/** Parses a heartbeat; null when it is not one this version can read. */
export function parseHeartbeat(bytes: Uint8Array): HeartbeatDocument | null {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const doc = raw as Record<string, unknown>;
  if (
    doc.version !== 1 ||
    typeof doc.cluster !== 'string' ||
    typeof doc.runEndedAt !== 'number' ||
    typeof doc.instanceId !== 'string'
  )
    return null;
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const writers: Record<string, number> = {};
  if (typeof doc.writers === 'object' && doc.writers !== null) {
    for (const [id, at] of Object.entries(doc.writers)) if (typeof at === 'number') writers[id] = at;
  }
  const labels: Record<string, string> = {};
  if (typeof doc.labels === 'object' && doc.labels !== null) {
    for (const [k, v] of Object.entries(doc.labels)) if (typeof v === 'string') labels[k] = v;
  }
  const results: readonly unknown[] = ['success', 'partial', 'error', 'skipped'];
  return {
    version: 1,
    cluster: doc.cluster,
    ...(Object.keys(labels).length > 0 ? { labels } : {}),
    agentVersion: typeof doc.agentVersion === 'string' ? doc.agentVersion : 'unknown',
    instanceId: doc.instanceId,
    runStartedAt: num(doc.runStartedAt) ?? doc.runEndedAt,
    runEndedAt: doc.runEndedAt,
    result: results.includes(doc.result) ? (doc.result as RunResult) : 'error',
    failingCodes: Array.isArray(doc.failingCodes)
      ? doc.failingCodes.filter((c): c is string => typeof c === 'string')
      : [],
    newestShippedEnd: num(doc.newestShippedEnd),
    lagSeconds: num(doc.lagSeconds),
    pendingWindows: num(doc.pendingWindows) ?? 0,
    blockDurationMs: num(doc.blockDurationMs) ?? 0,
    shipDelayMs: num(doc.shipDelayMs) ?? 0,
    scheduleIntervalMs: num(doc.scheduleIntervalMs) ?? 0,
    lastSuccessAt: num(doc.lastSuccessAt),
    writers,
  };
}

export async function readHeartbeat(
  bucket: Bucket,
  clusterId: string,
  signal?: AbortSignal,
): Promise<HeartbeatDocument | null> {
  const raw = await bucket.get(heartbeatKey(clusterId), signal ? { signal } : {});
  return raw === null ? null : parseHeartbeat(raw);
}

/** What a run knows at its end; the rest of the heartbeat comes from the previous one. */
export interface HeartbeatInput {
  cluster: string;
  labels?: Record<string, string>;
  agentVersion: string;
  instanceId: string;
  runStartedAt: number;
  runEndedAt: number;
  result: RunResult;
  failingCodes: readonly string[];
  newestShippedEnd: number | undefined;
  pendingWindows: number;
  blockDurationMs: number;
  shipDelayMs: number;
  scheduleIntervalMs: number;
}

/** How many schedule intervals a writer stays "live" after its last heartbeat. */
export const LIVE_INTERVALS = 3;

function nextHeartbeat(input: HeartbeatInput, previous: HeartbeatDocument | null): HeartbeatDocument {
  const keepFor = LIVE_INTERVALS * Math.max(input.scheduleIntervalMs, previous?.scheduleIntervalMs ?? 0);
  const writers: Record<string, number> = {};
  for (const [id, at] of Object.entries(previous?.writers ?? {}))
    if (input.runEndedAt - at <= keepFor) writers[id] = at;
  writers[input.instanceId] = input.runEndedAt;
  const newest = input.newestShippedEnd ?? previous?.newestShippedEnd ?? null;
  return {
    version: 1,
    cluster: input.cluster,
    ...(input.labels ? { labels: input.labels } : previous?.labels ? { labels: previous.labels } : {}),
    agentVersion: input.agentVersion,
    instanceId: input.instanceId,
    runStartedAt: input.runStartedAt,
    runEndedAt: input.runEndedAt,
    result: input.result,
    failingCodes: [...new Set(input.failingCodes)].sort(),
    newestShippedEnd: newest,
    lagSeconds: newest === null ? null : Math.round((input.runEndedAt - newest) / 1000),
    pendingWindows: input.pendingWindows,
    blockDurationMs: input.blockDurationMs,
    shipDelayMs: input.shipDelayMs,
    scheduleIntervalMs: input.scheduleIntervalMs,
    lastSuccessAt: input.result === 'success' ? input.runEndedAt : (previous?.lastSuccessAt ?? null),
    writers,
  };
}

/**
 * Reads the previous heartbeat and writes the next. Throws on a store failure: the caller logs it
 * as a warning, since a missing heartbeat must never fail a run that shipped.
 */
export async function writeHeartbeat(
  bucket: Bucket,
  input: HeartbeatInput,
  signal?: AbortSignal,
): Promise<HeartbeatDocument> {
  const previous = await readHeartbeat(bucket, input.cluster, signal);
  const doc = nextHeartbeat(input, previous);
  await bucket.put(heartbeatKey(input.cluster), `${JSON.stringify(doc, null, 1)}\n`, signal ? { signal } : {});
  return doc;
}
