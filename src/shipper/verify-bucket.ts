/**
 * `promship verify`: an independent check of what this cluster has in the bucket. Every block of
 * the cluster is downloaded and read back (meta, file sizes, index and chunk CRCs, ordering), and
 * the blocks are checked against each other for overlaps, which would halt the Thanos compactor.
 * Gaps between blocks are reported too (they may be windows without data, or windows not shipped).
 *
 * Like `thanos tools bucket verify`, blocks with a `deletion-mark.json` are left out of both: they
 * are retired (most often the sources of a compaction, beside the compacted block during the
 * compactor's delete delay) and are listed as marked for deletion, neither downloaded nor checked.
 * Thanos' marker files are not block files; each is checked for the shape Thanos reads.
 */
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Bucket, ObjectInfo } from '../bucket/bucket.ts';
import { describeError } from '../errors.ts';
import type { Window } from '../series.ts';
import { openBlock } from '../tsdb/block-reader.ts';
import type { BlockMeta } from '../tsdb/meta.ts';
import { DELETION_MARK, isMarkerFile, parseBlockMarker, type BlockMarker } from './block-markers.ts';
import { BlockMetaCache, isRawBlock } from './bucket-blocks.ts';
import { sameLabels } from './identity.ts';

export interface BlockCheck {
  ulid: string;
  minTime: number;
  maxTime: number;
  series: number;
  samples: number;
  bytes: number;
  /** `compaction.level`: 1 as uploaded, higher once the compactor merged blocks into it. */
  compactionLevel: number;
  /** `thanos.source`: `sidecar` for promship's and a sidecar's uploads, `compactor`, … */
  source: string;
  /** Thanos' markers in the block's directory (deletion, no-compact, no-downsample). */
  markers: BlockMarker[];
  /**
   * A valid `deletion-mark.json` is present: the block is on its way out, so it is neither
   * checked nor counted in overlaps and gaps, as Thanos leaves it out.
   */
  markedForDeletion: boolean;
  problems: string[];
}

export interface VerifyReport {
  ok: boolean;
  labels: Record<string, string>;
  blocks: BlockCheck[];
  overlaps: { a: string; b: string }[];
  gaps: Window[];
  /** Block directories without meta.json (any cluster): uploads in progress or abandoned. */
  partialUploads: string[];
  /**
   * Blocks whose meta.json cannot be read (any cluster: whose they are cannot be told). Thanos
   * leaves them out too, so their data is lost to queries until the meta.json is mended.
   */
  unreadableMeta: { ulid: string; error: string }[];
}

export interface VerifyOptions {
  /** The cluster's full external label set, as in `thanos.labels`. */
  labels: Record<string, string>;
  /** Where blocks are downloaded for reading; removed afterwards. */
  scratchDir: string;
  signal?: AbortSignal;
}

export async function verifyBucket(bucket: Bucket, opts: VerifyOptions): Promise<VerifyReport> {
  const inventory = await new BlockMetaCache().scan(bucket, undefined, opts.signal);
  const ours = inventory.blocks
    .filter((m) => sameLabels(m.thanos.labels, opts.labels))
    .sort((a, b) => a.minTime - b.minTime || a.maxTime - b.maxTime);
  const report: VerifyReport = {
    ok: true,
    labels: opts.labels,
    blocks: [],
    overlaps: [],
    gaps: [],
    partialUploads: inventory.partial,
    unreadableMeta: inventory.unreadable,
  };
  for (const meta of ours) report.blocks.push(await checkBlock(bucket, meta, opts));

  const marked = new Set(report.blocks.filter((b) => b.markedForDeletion).map((b) => b.ulid));
  const raw = ours.filter((m) => isRawBlock(m) && !marked.has(m.ulid));
  for (let i = 0; i < raw.length; i++) {
    for (let j = i + 1; j < raw.length && raw[j]!.minTime < raw[i]!.maxTime; j++) {
      report.overlaps.push({ a: raw[i]!.ulid, b: raw[j]!.ulid });
    }
  }
  let coveredUntil: number | undefined;
  for (const m of raw) {
    if (coveredUntil !== undefined && m.minTime > coveredUntil)
      report.gaps.push({ start: coveredUntil, end: m.minTime });
    coveredUntil = Math.max(coveredUntil ?? m.maxTime, m.maxTime);
  }
  report.ok =
    report.overlaps.length === 0 &&
    report.unreadableMeta.length === 0 &&
    report.blocks.every((b) => b.problems.length === 0);
  return report;
}

async function checkBlock(bucket: Bucket, meta: BlockMeta, opts: VerifyOptions): Promise<BlockCheck> {
  const check: BlockCheck = {
    ulid: meta.ulid,
    minTime: meta.minTime,
    maxTime: meta.maxTime,
    series: meta.stats.numSeries,
    samples: meta.stats.numSamples,
    bytes: 0,
    compactionLevel: meta.compaction.level,
    source: meta.thanos.source,
    markers: [],
    markedForDeletion: false,
    problems: [],
  };
  const listed = await bucket.listObjects(`${meta.ulid}/`, { signal: opts.signal });
  const objects: ObjectInfo[] = [];
  for (const o of listed) {
    const rel = o.key.slice(meta.ulid.length + 1);
    if (!isMarkerFile(rel)) {
      objects.push(o);
      continue;
    }
    const data = await bucket.get(o.key, { signal: opts.signal });
    // Deleted since the listing: the compactor removes a deletion mark last, with the block.
    if (data === null) continue;
    try {
      check.markers.push(parseBlockMarker(rel, data));
    } catch (err) {
      check.problems.push(
        `${(err as Error).message}: Thanos cannot use this marker (a partial upload?); remove it with \`thanos tools bucket mark --id=${meta.ulid} --marker=${rel} --remove\` and mark the block again if the mark was meant`,
      );
    }
  }
  if (check.markers.some((m) => m.file === DELETION_MARK)) {
    check.markedForDeletion = true;
    check.bytes = objects.reduce((n, o) => n + o.size, 0);
    return check;
  }
  const sizes = new Map(objects.map((o) => [o.key.slice(meta.ulid.length + 1), o.size]));
  for (const f of meta.thanos.files ?? []) {
    if (f.rel_path === 'meta.json') continue;
    const size = sizes.get(f.rel_path);
    if (size === undefined) check.problems.push(`${f.rel_path} is listed in meta.json but missing`);
    else if (f.size_bytes !== undefined && size !== f.size_bytes)
      check.problems.push(`${f.rel_path} has ${size} bytes, meta.json says ${f.size_bytes}`);
    check.bytes += size ?? 0;
  }
  if (check.problems.length > 0) return check;

  const dir = join(opts.scratchDir, meta.ulid);
  try {
    for (const o of objects) {
      const path = join(dir, ...o.key.slice(meta.ulid.length + 1).split('/'));
      await mkdir(dirname(path), { recursive: true });
      // Streamed to disk: a compacted block's segments reach 512 MiB, more than the pod's memory.
      if (!(await bucket.download(o.key, path, { signal: opts.signal })))
        throw new Error(`${o.key} vanished during verification`);
    }
    const reader = await openBlock(dir);
    try {
      await reader.verify();
    } finally {
      await reader.close();
    }
  } catch (err) {
    check.problems.push(describeError(err));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return check;
}
