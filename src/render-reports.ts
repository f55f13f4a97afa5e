/** Human-readable renderings of `promship status` and `promship verify` (the `--json` forms are the objects themselves). */
import { formatDuration } from './config/duration.ts';
import { formatWindow } from './series.ts';
import type { StatusReport } from './shipper/status.ts';
import { DELETION_MARK } from './shipper/block-markers.ts';
import type { BlockCheck, VerifyReport } from './shipper/verify-bucket.ts';

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

export function renderStatus(s: StatusReport): string {
  const lines = [
    `cluster      ${s.cluster}  ${JSON.stringify(s.labels)}`,
    `blocks       ${s.blocks}`,
    `newest       ${s.newestShipped ? `${formatWindow(s.newestShipped.window)} (${s.newestShipped.ulid})` : 'none yet'}`,
    `lag          ${s.lagSeconds === null ? 'n/a' : formatDuration(s.lagSeconds * 1000)}`,
    `pending      ${s.pending.length} window(s)${s.pending.length ? `, oldest ${formatWindow(s.pending[0]!)}` : ''}`,
    `failing      ${s.failing.length} window(s)`,
    `ledger       ${s.ledgerUpdatedAt ? `updated ${new Date(s.ledgerUpdatedAt).toISOString()}` : 'none'}`,
  ];
  // Newest last: what the latest windows were shipped under, and since when.
  for (const r of s.rules.slice(-5))
    lines.push(`rules        ${r.hash}  ${formatWindow({ start: r.start, end: r.end })}`);
  if (s.failing.length) {
    lines.push(
      '',
      table([
        ['WINDOW', 'ATTEMPTS', 'NEXT RETRY', 'CODE', 'LAST ERROR'],
        ...s.failing.map((f) => [
          formatWindow({ start: f.start, end: f.end }),
          String(f.attempts ?? 0),
          f.nextRetryAt ? new Date(f.nextRetryAt).toISOString() : '',
          f.lastErrorCode ?? '',
          (f.lastError ?? '').slice(0, 160),
        ]),
      ]),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function renderVerify(r: VerifyReport): string {
  const rows = [['ULID', 'WINDOW', 'LEVEL', 'SOURCE', 'SERIES', 'SAMPLES', 'BYTES', 'RESULT']];
  for (const b of r.blocks) {
    rows.push([
      b.ulid,
      formatWindow({ start: b.minTime, end: b.maxTime }),
      String(b.compactionLevel),
      b.source,
      String(b.series),
      String(b.samples),
      String(b.bytes),
      blockResult(b),
    ]);
  }
  const marked = r.blocks.filter((b) => b.markedForDeletion).length;
  const lines = [
    `blocks of ${JSON.stringify(r.labels)}: ${r.blocks.length}${marked ? ` (${marked} marked for deletion, left out of overlaps and gaps)` : ''}`,
    table(rows),
  ];
  const byUlid = new Map(r.blocks.map((b) => [b.ulid, b]));
  const describe = (ulid: string): string => {
    const b = byUlid.get(ulid);
    return b ? `${ulid} (level ${b.compactionLevel}, ${b.source})` : ulid;
  };
  for (const o of r.overlaps)
    lines.push(
      `OVERLAP: ${describe(o.a)} and ${describe(o.b)} overlap; the Thanos compactor halts on this (docs/troubleshooting.md: which one to mark)`,
    );
  for (const g of r.gaps) lines.push(`gap: no block for ${formatWindow(g)} (no data then, or not shipped yet)`);
  if (r.partialUploads.length)
    lines.push(`partial uploads in the bucket (any cluster, no meta.json): ${r.partialUploads.length}`);
  for (const u of r.unreadableMeta)
    lines.push(
      `UNREADABLE: ${u.ulid}/meta.json (${u.error}); Thanos leaves the block out, whichever cluster it is of: restore its meta.json, or delete the block if it is not needed`,
    );
  lines.push(r.ok ? 'verify: OK' : 'verify: PROBLEMS FOUND');
  return `${lines.join('\n')}\n`;
}

function blockResult(b: BlockCheck): string {
  const marks = b.markers.map((m) => {
    const date = new Date(m.time * 1000);
    const when = Number.isNaN(date.getTime()) ? `at ${m.time}` : date.toISOString();
    if (m.file === DELETION_MARK)
      return `marked for deletion ${when}${m.details ? ` (${m.details})` : ''}, not checked`;
    return `${m.file.replace(/\.json$/, '')} ${when}${m.reason ? ` (${m.reason})` : ''}`;
  });
  if (b.problems.length) return `BAD: ${[...b.problems, ...marks].join('; ')}`;
  if (b.markedForDeletion) return marks.join('; ');
  return ['ok', ...marks].join('; ');
}
