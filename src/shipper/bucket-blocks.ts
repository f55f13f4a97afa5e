/**
 * What the bucket already holds for this cluster. The bucket is the only source of truth about
 * what was shipped: a pod with an empty data dir, a second agent version, or a Thanos sidecar
 * that ran before promship all leave their blocks there, and every one of them must be respected
 * or the compactor halts on overlaps.
 */
import type { Bucket } from '../bucket/bucket.ts';
import { describeError } from '../errors.ts';
import { blockMetaFromJson, parseBlockMeta, serializeBlockMeta, type BlockMeta } from '../tsdb/meta.ts';
import type { Logger } from '../log.ts';
import { sameLabels } from './identity.ts';
import type { CoveringBlock } from './windows.ts';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export interface BucketBlocks {
  /** Complete blocks (with a valid meta.json), any labels. */
  blocks: BlockMeta[];
  /** Block directories without meta.json: uploads in progress or abandoned. */
  partial: string[];
  /** Block directories whose meta.json cannot be read: blocks Thanos cannot use either. */
  unreadable: { ulid: string; error: string }[];
}

/** Block metas never change once written, so they are cached by ULID across runs. */
export class BlockMetaCache {
  private readonly metas = new Map<string, BlockMeta>();
  /** Counts every entry added or dropped, so a caller can tell the cache changed since it saved it. */
  changes = 0;

  /** The cached metas, to keep for the next run (see `local-state.ts`). */
  entries(): BlockMeta[] {
    return [...this.metas.values()];
  }

  /** Adds metas saved by an earlier run; each is validated again, since it came from disk. */
  restore(saved: readonly unknown[]): void {
    for (const m of saved) {
      try {
        const meta = blockMetaFromJson(m, 'cached meta.json');
        this.metas.set(meta.ulid, meta);
        this.changes++;
      } catch {
        // Not trusted: the next scan downloads that block's meta.json again.
      }
    }
  }

  /**
   * Adds the meta.json of a block this process published. Passed through the text it was
   * published as, so the entry is what a scan would have read.
   */
  remember(meta: BlockMeta): void {
    this.metas.set(meta.ulid, parseBlockMeta(serializeBlockMeta(meta)));
    this.changes++;
  }

  /**
   * `notAsked`: block directories whose meta.json the caller does not need (see
   * `Shipper.checkBeforePublish`); unless cached, they are listed as partial without a request.
   */
  async scan(
    bucket: Bucket,
    logger?: Logger,
    signal?: AbortSignal,
    notAsked?: ReadonlySet<string>,
  ): Promise<BucketBlocks> {
    const children = await bucket.listChildren('', { signal });
    const ids = children.filter((c) => c.endsWith('/') && ULID.test(c.slice(0, -1))).map((c) => c.slice(0, -1));
    const present = new Set(ids);
    for (const id of this.metas.keys()) {
      if (!present.has(id)) {
        this.metas.delete(id);
        this.changes++;
      }
    }
    const out: BucketBlocks = { blocks: [], partial: [], unreadable: [] };
    for (const id of ids) {
      let meta = this.metas.get(id);
      if (!meta && notAsked?.has(id)) {
        out.partial.push(id);
        continue;
      }
      if (!meta) {
        const raw = await bucket.get(`${id}/meta.json`, { signal });
        if (raw === null) {
          out.partial.push(id);
          continue;
        }
        try {
          meta = parseBlockMeta(Buffer.from(raw).toString('utf8'));
        } catch (err) {
          // A block we cannot read cannot be compared; Thanos would flag it too. Log and move on.
          logger?.warn({ block: id, err: describeError(err) }, 'ignoring block with unreadable meta.json');
          out.unreadable.push({ ulid: id, error: describeError(err) });
          continue;
        }
        this.metas.set(id, meta);
        this.changes++;
      }
      out.blocks.push(meta);
    }
    return out;
  }
}

/** Not downsampled: the blocks that cover windows, and whose overlaps halt the compactor. */
export function isRawBlock(meta: BlockMeta): boolean {
  return meta.thanos.downsample.resolution === 0;
}

/** This cluster's raw blocks: exactly its external labels, resolution 0. */
export function rawBlocksOf(blocks: readonly BlockMeta[], labels: Record<string, string>): BlockMeta[] {
  return blocks.filter((m) => isRawBlock(m) && sameLabels(m.thanos.labels, labels));
}

/**
 * The time ranges this cluster's blocks cover, at any resolution: once the compactor's raw
 * retention has deleted a raw block, its downsampled blocks still say the data is in the bucket,
 * and a raw block shipped again there would be downsampled again into overlapping blocks.
 */
export function coveringBlocks(blocks: readonly BlockMeta[], labels: Record<string, string>): CoveringBlock[] {
  return blocks
    .filter((m) => sameLabels(m.thanos.labels, labels))
    .map((m) => ({ start: m.minTime, end: m.maxTime, ulid: m.ulid, level: m.compaction.level }));
}
