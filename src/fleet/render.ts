/** The human form of `promship fleet` (`--json` prints the report object itself). */
import { formatDuration } from '../config/duration.ts';
import { formatWindow } from '../series.ts';
import type { FleetReport, FleetRow } from './report.ts';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const ago = (s: number | null | undefined): string =>
  s === null || s === undefined ? '—' : formatDuration(Math.max(0, s) * 1000);

export function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)}MiB`;
}

export function renderFleet(r: FleetReport): string {
  const rows = [
    ['LABELS', 'STATUS', 'LAG', 'BLOCKS', 'BYTES', 'GAP', 'OVERLAP', 'HEARTBEAT', 'VERSION', 'LAST RUN', 'PROBLEMS'],
  ];
  for (const c of r.clusters) rows.push(rowCells(c));
  const lines = [
    `fleet: ${r.clusters.length} label set(s), ${r.clusters.filter((c) => !c.healthy).length} unhealthy; lookback ${formatWindow(r.lookback)}`,
    '',
    table(rows),
  ];
  for (const c of r.clusters) {
    for (const g of c.gaps) lines.push(`gap: ${labelText(c.labels)}: no block for ${formatWindow(g)}`);
    for (const o of c.overlaps)
      lines.push(
        `overlap: ${labelText(c.labels)}: ${o.a} and ${o.b}; the Thanos compactor halts on this (see 'promship verify')`,
      );
    if (c.flags.staleAgent && c.heartbeat)
      lines.push(
        `stale agent: ${labelText(c.labels)}: no heartbeat for ${ago(c.heartbeat.ageSeconds)} (runs every ${formatDuration(c.heartbeat.scheduleIntervalMs)})`,
      );
    if (c.flags.multipleWriters && c.heartbeat)
      lines.push(`multiple writers: ${labelText(c.labels)}: ${c.heartbeat.liveWriters.join(', ')}`);
  }
  if (r.partialUploads > 0) lines.push(`partial uploads in the bucket (no meta.json): ${r.partialUploads}`);
  return `${lines.join('\n')}\n`;
}

function rowCells(c: FleetRow): string[] {
  const hb = c.heartbeat;
  return [
    labelText(c.labels),
    c.healthy ? 'ok' : 'UNHEALTHY',
    ago(c.lagSeconds),
    `${c.blocks.raw}+${c.blocks.downsampled}d`,
    `${mib(c.bytes.raw)}+${mib(c.bytes.downsampled)}`,
    c.gapSeconds > 0 ? ago(c.gapSeconds) : '—',
    c.overlappingBlocks > 0 ? String(c.overlappingBlocks) : '—',
    hb ? `${ago(hb.ageSeconds)} ago` : 'none',
    hb?.agentVersion ?? '—',
    hb ? `${hb.result}${hb.failingCodes.length ? ` ${hb.failingCodes.join(',')}` : ''}` : '—',
    c.problems.join(',') || '—',
  ];
}
