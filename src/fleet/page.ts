/**
 * The fleet page: one server-rendered HTML document, no script, no font, no stylesheet from
 * anywhere (air-gapped clusters), no build step. One row per label set: a status colour, lag,
 * heartbeat age, agent version, and a timeline of the lookback with each block as a bar, gaps and
 * overlaps marked. Sorting is done by the server through plain links (`?sort=lag&order=desc`).
 */
import { formatDuration } from '../config/duration.ts';
import { formatWindow } from '../series.ts';
import { labelText } from './render.ts';
import type { FleetReport, FleetRow } from './report.ts';

export type SortKey = 'labels' | 'lag' | 'heartbeat';

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const ago = (s: number | null | undefined): string =>
  s === null || s === undefined ? '—' : formatDuration(Math.max(0, s) * 1000);

function sortRows(rows: readonly FleetRow[], key: SortKey, desc: boolean): FleetRow[] {
  const value = (c: FleetRow): number | string =>
    key === 'lag'
      ? (c.lagSeconds ?? Number.MAX_SAFE_INTEGER)
      : key === 'heartbeat'
        ? (c.heartbeat?.ageSeconds ?? Number.MAX_SAFE_INTEGER)
        : labelText(c.labels);
  const out = [...rows].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return desc ? out.reverse() : out;
}

function status(c: FleetRow): { cls: string; text: string } {
  if (c.healthy) return { cls: 'ok', text: 'healthy' };
  const severe = c.problems.some(
    (p) => p === 'overlaps' || p === 'stale-agent' || p === 'multiple-writers' || p === 'never-shipped' || p === 'lag',
  );
  return { cls: severe ? 'bad' : 'warn', text: c.problems.join(', ') };
}

function timeline(c: FleetRow, r: FleetReport): string {
  const span = r.lookback.end - r.lookback.start;
  const pct = (t: number): string =>
    `${(((Math.min(Math.max(t, r.lookback.start), r.lookback.end) - r.lookback.start) / span) * 100).toFixed(3)}%`;
  const width = (a: number, b: number): string => {
    const w = ((Math.min(b, r.lookback.end) - Math.max(a, r.lookback.start)) / span) * 100;
    return `${Math.max(w, 0.15).toFixed(3)}%`;
  };
  const parts: string[] = [];
  for (const b of c.timeline) {
    const cls = [
      'block',
      b.resolution === 0 ? 'raw' : 'down',
      b.overlapping ? 'overlap' : '',
      b.markedForDeletion ? 'marked' : '',
    ]
      .filter(Boolean)
      .join(' ');
    const what = `${b.ulid} ${formatWindow({ start: b.start, end: b.end })} level ${b.level}${b.resolution ? ` resolution ${formatDuration(b.resolution)}` : ''}${b.overlapping ? ' OVERLAPS another block' : ''}${b.markedForDeletion ? ' marked for deletion' : ''}`;
    parts.push(
      `<div class="${cls}" data-ulid="${esc(b.ulid)}" style="left:${pct(b.start)};width:${width(b.start, b.end)}" title="${esc(what)}"></div>`,
    );
  }
  for (const g of c.gaps) {
    parts.push(
      `<div class="gap" data-start="${g.start}" data-end="${g.end}" style="left:${pct(g.start)};width:${width(g.start, g.end)}" title="${esc(`gap: no block for ${formatWindow(g)}`)}"></div>`,
    );
  }
  return `<div class="timeline">${parts.join('')}</div>`;
}

function sortLink(label: string, key: SortKey, current: SortKey, desc: boolean): string {
  const nextDesc = key === current ? !desc : key !== 'labels';
  const arrow = key === current ? (desc ? ' ▼' : ' ▲') : '';
  return `<a class="sort" href="?sort=${key}&amp;order=${nextDesc ? 'desc' : 'asc'}">${esc(label)}${arrow}</a>`;
}

export function renderFleetPage(
  r: FleetReport | undefined,
  sort: SortKey = 'lag',
  desc = true,
  refreshError?: string,
): string {
  const head = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>promship fleet</title><style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5rem;color:#1d2430;background:#fff}
h1{font-size:1.3rem;margin:0 0 .3rem}.sub{color:#556;margin-bottom:1rem;font-size:.9rem}
table{border-collapse:collapse;width:100%;font-size:.85rem}th,td{padding:.35rem .5rem;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:middle;white-space:nowrap}
th{background:#f4f6f8}a.sort{color:inherit;text-decoration:none}td.tl{width:45%;min-width:320px}
.dot{display:inline-block;width:.8rem;height:.8rem;border-radius:50%;margin-right:.4rem;vertical-align:-.1rem}
tr.ok .dot{background:#2e9d4f}tr.warn .dot{background:#e5a000}tr.bad .dot{background:#d23a3a}
.timeline{position:relative;height:18px;background:#f0f2f4;border-radius:3px;overflow:hidden}
.block{position:absolute;top:3px;height:12px;background:#4a78c2;opacity:.85}.block.down{top:9px;height:6px;background:#7e9fd6}
.block.marked{opacity:.3}.block.overlap{background:#e07b00;top:0;height:18px;outline:1px solid #9a4f00}
.gap{position:absolute;top:0;height:18px;background:repeating-linear-gradient(45deg,#d23a3a 0 3px,#f6c9c9 3px 6px)}
.problems{color:#a02525}.legend span{display:inline-block;width:.9rem;height:.6rem;margin:0 .25rem 0 .8rem;vertical-align:middle}
.err{color:#a02525;font-weight:600}
</style></head><body>`;
  if (!r)
    return `${head}<h1>promship fleet</h1><p class="sub">The first look at the bucket is under way${refreshError ? `; the last attempt failed: <span class="err">${esc(refreshError)}</span>` : ''}.</p></body></html>`;
  const rows = sortRows(r.clusters, sort, desc)
    .map((c) => {
      const s = status(c);
      const hb = c.heartbeat;
      return `<tr class="cluster ${s.cls}" data-labels="${esc(labelText(c.labels))}" data-lag="${c.lagSeconds ?? ''}" data-gaps="${c.gaps.length}" data-overlaps="${c.overlappingBlocks}">
<td class="status"><span class="dot"></span>${esc(s.text)}</td>
<td class="labels">${esc(labelText(c.labels))}</td>
<td class="lag">${esc(ago(c.lagSeconds))}</td>
<td class="hb">${hb ? `${esc(ago(hb.ageSeconds))} ago${c.flags.staleAgent ? ' <b class="problems">stale</b>' : ''}` : 'none'}</td>
<td class="version">${esc(hb?.agentVersion ?? '—')}</td>
<td class="run">${hb ? esc(`${hb.result}${hb.failingCodes.length ? ` ${hb.failingCodes.join(', ')}` : ''}`) : '—'}</td>
<td class="blocks">${c.blocks.raw}${c.blocks.downsampled ? ` + ${c.blocks.downsampled} ds` : ''}</td>
<td class="gapcell">${c.gapSeconds ? `<span class="problems">${esc(ago(c.gapSeconds))}</span>` : '—'}</td>
<td class="overlapcell">${c.overlappingBlocks ? `<span class="problems">${c.overlappingBlocks} blocks</span>` : '—'}</td>
<td class="tl">${timeline(c, r)}</td></tr>`;
    })
    .join('\n');
  return `${head}<h1>promship fleet</h1>
<div class="sub">${r.clusters.length} label set(s), ${r.clusters.filter((c) => !c.healthy).length} unhealthy · as of ${esc(new Date(r.now).toISOString())} · timeline ${esc(formatWindow(r.lookback))}${refreshError ? ` · <span class="err">last refresh failed: ${esc(refreshError)}</span>` : ''}
<span class="legend"><span style="background:#4a78c2"></span>block<span style="background:#e07b00"></span>overlap<span style="background:#d23a3a"></span>gap</span></div>
<table><thead><tr><th>status</th><th>${sortLink('labels', 'labels', sort, desc)}</th><th>${sortLink('lag', 'lag', sort, desc)}</th><th>${sortLink('heartbeat', 'heartbeat', sort, desc)}</th><th>version</th><th>last run</th><th>blocks</th><th>gap</th><th>overlap</th><th>timeline</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>`;
}
