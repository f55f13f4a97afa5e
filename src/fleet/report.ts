/**
 * The fleet view, computed from an inventory of the bucket alone: one row per label set found
 * there (promship's clusters and anything else that writes Thanos blocks, such as sidecars), with
 * freshness, gaps, overlaps and what the cluster's agent last said in its heartbeat. Pure: the clock
 * and the thresholds come in as arguments, so every judgement can be tested at any time.
 */
import { LIVE_INTERVALS, type HeartbeatDocument, type RunResult } from '../shipper/heartbeat.ts';
import { uncovered } from '../shipper/windows.ts';
import type { Window } from '../series.ts';
import type { FleetBlock, FleetInventory, LedgerView } from './inventory.ts';

/** The interval assumed for a heartbeat that does not say (an agent that could not read its schedule). */
const DEFAULT_INTERVAL_MS = 5 * 60_000;

export interface FleetOptions {
  now: number;
  lookbackMs: number;
  /** Lag above which a cluster is unhealthy. */
  maxLagMs: number;
}

export interface TimelineBlock {
  ulid: string;
  start: number;
  end: number;
  resolution: number;
  level: number;
  markedForDeletion: boolean;
  overlapping: boolean;
}

export interface HeartbeatView {
  ageSeconds: number;
  runEndedAt: number;
  agentVersion: string;
  instanceId: string;
  result: RunResult;
  failingCodes: string[];
  lastSuccessAt: number | null;
  pendingWindows: number;
  scheduleIntervalMs: number;
  blockDurationMs: number;
  /** Instances that wrote this heartbeat within 3 schedule intervals of its last write. */
  liveWriters: string[];
}

export type Problem =
  'lag' | 'never-shipped' | 'gaps' | 'overlaps' | 'stale-agent' | 'multiple-writers' | 'run-failing';

export interface FleetRow {
  /** The label set, sorted by name. */
  labels: Record<string, string>;
  /** The promship cluster id, when a promship agent writes this label set (ledger or heartbeat). */
  cluster: string | null;
  newestBlockEnd: number | null;
  lagSeconds: number | null;
  blocks: { raw: number; downsampled: number; markedForDeletion: number };
  bytes: { raw: number; downsampled: number };
  /** Time inside the lookback (from the first block there to the newest end) that no live block and no empty window covers. */
  gaps: Window[];
  gapSeconds: number;
  /** Pairs of live blocks of one resolution whose time ranges overlap. */
  overlaps: { a: string; b: string }[];
  overlappingBlocks: number;
  heartbeat: HeartbeatView | null;
  flags: { staleAgent: boolean; multipleWriters: boolean };
  problems: Problem[];
  healthy: boolean;
  /** Blocks inside the lookback, for the page's timeline. */
  timeline: TimelineBlock[];
}

export interface FleetReport {
  now: number;
  lookback: Window;
  maxLagSeconds: number;
  /** The union of label names across the bucket, sorted: the exporter's label names. */
  labelNames: string[];
  clusters: FleetRow[];
  partialUploads: number;
  healthy: boolean;
}

function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function sorted(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(JSON.parse(labelKey(labels)) as [string, string][]);
}

interface Group {
  labels: Record<string, string>;
  blocks: FleetBlock[];
  ledger?: LedgerView;
  heartbeat?: HeartbeatDocument;
}

/** Overlapping pairs among blocks of one resolution, in time order. */
function findOverlaps(blocks: readonly FleetBlock[]): { a: string; b: string }[] {
  const out: { a: string; b: string }[] = [];
  const byRes = new Map<number, FleetBlock[]>();
  for (const b of blocks) {
    const r = b.meta.thanos.downsample.resolution;
    byRes.set(r, [...(byRes.get(r) ?? []), b]);
  }
  for (const list of byRes.values()) {
    list.sort((x, y) => x.meta.minTime - y.meta.minTime || (x.meta.ulid < y.meta.ulid ? -1 : 1));
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length && list[j]!.meta.minTime < list[i]!.meta.maxTime; j++) {
        out.push({ a: list[i]!.meta.ulid, b: list[j]!.meta.ulid });
      }
    }
  }
  return out;
}

function heartbeatView(hb: HeartbeatDocument, now: number): HeartbeatView {
  const interval = hb.scheduleIntervalMs > 0 ? hb.scheduleIntervalMs : DEFAULT_INTERVAL_MS;
  const liveWriters = Object.entries(hb.writers)
    .filter(([, at]) => hb.runEndedAt - at <= LIVE_INTERVALS * interval)
    .map(([id]) => id)
    .sort();
  return {
    ageSeconds: Math.max(0, Math.round((now - hb.runEndedAt) / 1000)),
    runEndedAt: hb.runEndedAt,
    agentVersion: hb.agentVersion,
    instanceId: hb.instanceId,
    result: hb.result,
    failingCodes: hb.failingCodes,
    lastSuccessAt: hb.lastSuccessAt,
    pendingWindows: hb.pendingWindows,
    scheduleIntervalMs: interval,
    blockDurationMs: hb.blockDurationMs,
    liveWriters,
  };
}

function row(g: Group, opts: FleetOptions, lookback: Window): FleetRow {
  const live = g.blocks.filter((b) => !b.markedForDeletion);
  const raw = g.blocks.filter((b) => b.meta.thanos.downsample.resolution === 0);
  const down = g.blocks.filter((b) => b.meta.thanos.downsample.resolution !== 0);
  const newest = live.reduce<number | null>((n, b) => (n === null || b.meta.maxTime > n ? b.meta.maxTime : n), null);
  const inLookback = live.filter((b) => b.meta.maxTime > lookback.start);
  let gaps: Window[] = [];
  if (newest !== null && inLookback.length > 0) {
    const first = Math.min(...inLookback.map((b) => b.meta.minTime));
    const span = { start: Math.max(lookback.start, first), end: Math.min(newest, lookback.end) };
    const covered = [...live.map((b) => ({ start: b.meta.minTime, end: b.meta.maxTime })), ...(g.ledger?.empty ?? [])];
    gaps = span.start < span.end ? uncovered(span, covered) : [];
  }
  const overlaps = findOverlaps(live);
  const overlapping = new Set(overlaps.flatMap((o) => [o.a, o.b]));
  const heartbeat = g.heartbeat ? heartbeatView(g.heartbeat, opts.now) : null;
  const staleAgent =
    heartbeat !== null && opts.now - heartbeat.runEndedAt > LIVE_INTERVALS * heartbeat.scheduleIntervalMs;
  const multipleWriters = heartbeat !== null && heartbeat.liveWriters.length > 1;
  const lagSeconds = newest === null ? null : Math.round((opts.now - newest) / 1000);
  const problems: Problem[] = [];
  if (newest !== null && opts.now - newest > opts.maxLagMs) problems.push('lag');
  if (newest === null) problems.push('never-shipped');
  if (gaps.length > 0) problems.push('gaps');
  if (overlaps.length > 0) problems.push('overlaps');
  if (staleAgent) problems.push('stale-agent');
  if (multipleWriters) problems.push('multiple-writers');
  if (heartbeat && (heartbeat.result === 'error' || heartbeat.result === 'partial')) problems.push('run-failing');
  const timeline = g.blocks
    .filter((b) => b.meta.maxTime > lookback.start && b.meta.minTime < lookback.end)
    .map((b) => ({
      ulid: b.meta.ulid,
      start: b.meta.minTime,
      end: b.meta.maxTime,
      resolution: b.meta.thanos.downsample.resolution,
      level: b.meta.compaction.level,
      markedForDeletion: b.markedForDeletion,
      overlapping: overlapping.has(b.meta.ulid),
    }))
    .sort((a, b) => a.start - b.start);
  return {
    labels: g.labels,
    cluster: g.ledger?.cluster ?? g.heartbeat?.cluster ?? null,
    newestBlockEnd: newest,
    lagSeconds,
    blocks: {
      raw: raw.length,
      downsampled: down.length,
      markedForDeletion: g.blocks.filter((b) => b.markedForDeletion).length,
    },
    bytes: { raw: raw.reduce((s, b) => s + b.bytes, 0), downsampled: down.reduce((s, b) => s + b.bytes, 0) },
    gaps,
    gapSeconds: Math.round(gaps.reduce((s, w) => s + w.end - w.start, 0) / 1000),
    overlaps,
    overlappingBlocks: overlapping.size,
    heartbeat,
    flags: { staleAgent, multipleWriters },
    problems,
    healthy: problems.length === 0,
    timeline,
  };
}

export function fleetReport(inv: FleetInventory, opts: FleetOptions): FleetReport {
  const groups = new Map<string, Group>();
  const group = (labels: Record<string, string>): Group => {
    const key = labelKey(labels);
    let g = groups.get(key);
    if (!g) {
      g = { labels: sorted(labels), blocks: [] };
      groups.set(key, g);
    }
    return g;
  };
  for (const b of inv.blocks) group(b.meta.thanos.labels).blocks.push(b);
  const ledgerLabels = new Map<string, Record<string, string>>();
  for (const l of inv.ledgers) {
    if (!l.labels) continue;
    ledgerLabels.set(l.cluster, l.labels);
    group(l.labels).ledger = l;
  }
  for (const hb of inv.heartbeats) {
    // A run that failed before it learned the labels wrote none: the ledger of its cluster knows them.
    const labels = hb.labels ?? ledgerLabels.get(hb.cluster) ?? { cluster: hb.cluster };
    group(labels).heartbeat = hb;
  }
  const lookback = { start: opts.now - opts.lookbackMs, end: opts.now };
  const clusters = [...groups.values()]
    .map((g) => row(g, opts, lookback))
    .sort((a, b) => (labelKey(a.labels) < labelKey(b.labels) ? -1 : 1));
  const labelNames = [...new Set(clusters.flatMap((c) => Object.keys(c.labels)))].sort();
  return {
    now: opts.now,
    lookback,
    maxLagSeconds: Math.round(opts.maxLagMs / 1000),
    labelNames,
    clusters,
    partialUploads: inv.partialUploads,
    healthy: clusters.every((c) => c.healthy),
  };
}
