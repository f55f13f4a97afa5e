/**
 * The fleet exporter's /metrics, written as Prometheus text exposition by hand: every series is
 * labelled with its cluster's external labels, and which label names exist is only known after a
 * refresh (the union over the bucket), which fixed-label client gauges cannot express. A label a
 * cluster lacks is empty, so every series of one metric has the same label names.
 */
import type { FleetReport, FleetRow } from './report.ts';

export interface RefreshStats {
  lastDurationSeconds: number | undefined;
  lastSuccessAt: number | undefined;
  errors: number;
  refreshes: number;
}

const VALID_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Names the exporter uses itself, and reserved ones: an external label by such a name is left out. */
const RESERVED = new Set(['version', 'resolution', 'le', 'quantile']);

function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function exportedLabelNames(report: FleetReport): string[] {
  return report.labelNames.filter((n) => VALID_NAME.test(n) && !n.startsWith('__') && !RESERVED.has(n));
}

function fmt(n: number): string {
  return Number.isNaN(n) ? 'NaN' : n === Infinity ? '+Inf' : n === -Infinity ? '-Inf' : String(n);
}

export function renderFleetMetrics(report: FleetReport | undefined, stats: RefreshStats, now: number): string {
  const out: string[] = [];
  const family = (name: string, type: 'gauge' | 'counter', help: string, samples: [string, number][]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${labels} ${fmt(value)}`);
  };
  if (report) {
    const names = exportedLabelNames(report);
    const labelsOf = (c: FleetRow, extra: [string, string][] = []): string => {
      const pairs = [...names.map((n): [string, string] => [n, c.labels[n] ?? '']), ...extra];
      return pairs.length ? `{${pairs.map(([k, v]) => `${k}="${escapeValue(v)}"`).join(',')}}` : '';
    };
    const each = (
      fn: (c: FleetRow) => number | null | undefined,
      extra?: (c: FleetRow) => [string, string][],
    ): [string, number][] =>
      report.clusters.flatMap((c): [string, number][] => {
        const v = fn(c);
        return v === null || v === undefined ? [] : [[labelsOf(c, extra?.(c)), v]];
      });
    family(
      'promship_fleet_lag_seconds',
      'gauge',
      "Now minus the end of the label set's newest live block; absent for a promship cluster that never shipped.",
      each((c) => (c.newestBlockEnd === null ? null : (now - c.newestBlockEnd) / 1000)),
    );
    family(
      'promship_fleet_newest_block_end_timestamp_seconds',
      'gauge',
      "End of the label set's newest live block (Unix seconds).",
      each((c) => (c.newestBlockEnd === null ? null : c.newestBlockEnd / 1000)),
    );
    family(
      'promship_fleet_last_heartbeat_timestamp_seconds',
      'gauge',
      "When the cluster's agent last ended a run (its heartbeat; Unix seconds).",
      each((c) => (c.heartbeat ? c.heartbeat.runEndedAt / 1000 : null)),
    );
    family(
      'promship_fleet_last_success_timestamp_seconds',
      'gauge',
      "When the cluster's agent last ended a run with no failing window (Unix seconds).",
      each((c) => (c.heartbeat?.lastSuccessAt ? c.heartbeat.lastSuccessAt / 1000 : null)),
    );
    family(
      'promship_fleet_schedule_interval_seconds',
      'gauge',
      "The cluster's agent's time between runs, as its heartbeat says.",
      each((c) => (c.heartbeat ? c.heartbeat.scheduleIntervalMs / 1000 : null)),
    );
    family(
      'promship_fleet_agent_stale',
      'gauge',
      'Whether the agent has written no heartbeat for 3 of its schedule intervals (1) or not (0).',
      each((c) => (c.heartbeat ? Number(c.flags.staleAgent) : null)),
    );
    family(
      'promship_fleet_live_writers',
      'gauge',
      'Agent instances that wrote the heartbeat within 3 schedule intervals of its last write; above 1 means two agents ship one cluster.',
      each((c) => (c.heartbeat ? c.heartbeat.liveWriters.length : null)),
    );
    family(
      'promship_fleet_last_run_failing',
      'gauge',
      "Whether the agent's last run failed or left windows failing (1) or not (0).",
      each((c) => (c.heartbeat ? Number(c.heartbeat.result === 'error' || c.heartbeat.result === 'partial') : null)),
    );
    family(
      'promship_fleet_gap_seconds',
      'gauge',
      'Time inside the lookback, between the first and the newest live block, that no live block and no empty window covers.',
      each((c) => c.gapSeconds),
    );
    family(
      'promship_fleet_overlapping_blocks',
      'gauge',
      'Live blocks (not marked for deletion) that overlap another of the same label set and resolution; the compactor halts on them.',
      each((c) => c.overlappingBlocks),
    );
    family('promship_fleet_blocks', 'gauge', 'Blocks of the label set in the bucket, raw or downsampled.', [
      ...each(
        (c) => c.blocks.raw,
        () => [['resolution', 'raw']],
      ),
      ...each(
        (c) => c.blocks.downsampled,
        () => [['resolution', 'downsampled']],
      ),
    ]);
    family('promship_fleet_bytes', 'gauge', "Bytes of the label set's blocks in the bucket, raw or downsampled.", [
      ...each(
        (c) => c.bytes.raw,
        () => [['resolution', 'raw']],
      ),
      ...each(
        (c) => c.bytes.downsampled,
        () => [['resolution', 'downsampled']],
      ),
    ]);
    family(
      'promship_fleet_agent_info',
      'gauge',
      "The version of the cluster's agent, from its heartbeat.",
      each(
        (c) => (c.heartbeat ? 1 : null),
        (c) => [['version', c.heartbeat?.agentVersion ?? '']],
      ),
    );
    family(
      'promship_fleet_healthy',
      'gauge',
      'Whether `promship fleet` judges the label set healthy (1) or not (0).',
      each((c) => Number(c.healthy)),
    );
    family('promship_fleet_label_sets', 'gauge', 'Label sets found in the bucket.', [['', report.clusters.length]]);
    family(
      'promship_fleet_partial_uploads',
      'gauge',
      'Block directories without meta.json in the bucket (uploads in progress or abandoned).',
      [['', report.partialUploads]],
    );
  }
  family(
    'promship_fleet_refresh_duration_seconds',
    'gauge',
    'How long the last refresh (listing the bucket, reading new metas, ledgers and heartbeats) took.',
    stats.lastDurationSeconds === undefined ? [] : [['', stats.lastDurationSeconds]],
  );
  family(
    'promship_fleet_last_refresh_success_timestamp_seconds',
    'gauge',
    'When a refresh last succeeded (Unix seconds).',
    stats.lastSuccessAt === undefined ? [] : [['', stats.lastSuccessAt / 1000]],
  );
  family('promship_fleet_refreshes_total', 'counter', 'Refreshes of the fleet view.', [['', stats.refreshes]]);
  family(
    'promship_fleet_refresh_errors_total',
    'counter',
    'Refreshes that failed (the bucket could not be listed), and objects that could not be read.',
    [['', stats.errors]],
  );
  return `${out.join('\n')}\n`;
}
