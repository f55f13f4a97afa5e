/**
 * Everything the fleet view reads from the bucket, and nothing else: block metas, Thanos' deletion
 * marks, and each promship cluster's ledger and heartbeat. One recursive listing per refresh finds
 * them all (with object sizes, so bytes need no meta.json field older sidecars may lack); a block's
 * meta.json never changes once written, so each is downloaded once and cached by ULID.
 */
import type { Bucket } from '../bucket/bucket.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { DELETION_MARK } from '../shipper/block-markers.ts';
import { parseHeartbeat, type HeartbeatDocument } from '../shipper/heartbeat.ts';
import type { Window } from '../series.ts';
import { parseBlockMeta, type BlockMeta } from '../tsdb/meta.ts';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export interface FleetBlock {
  meta: BlockMeta;
  /** Sum of the sizes of the block's objects in the bucket. */
  bytes: number;
  markedForDeletion: boolean;
}

/** What a cluster's ledger says that the fleet view needs: its labels and its empty windows. */
export interface LedgerView {
  cluster: string;
  labels: Record<string, string> | undefined;
  empty: Window[];
}

export interface FleetInventory {
  blocks: FleetBlock[];
  ledgers: LedgerView[];
  heartbeats: HeartbeatDocument[];
  /** Block directories without meta.json (uploads in progress or abandoned). */
  partialUploads: number;
  /** Objects that could not be read or parsed, for the refresh's error count; never fatal. */
  problems: string[];
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

function parseLedgerView(cluster: string, bytes: Uint8Array): LedgerView | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const doc = raw as Record<string, unknown>;
  if (doc.version !== 1 || !Array.isArray(doc.windows)) return undefined;
  const empty: Window[] = [];
  for (const e of doc.windows as unknown[]) {
    const w = e as Record<string, unknown> | null;
    if (w?.state === 'empty' && typeof w.start === 'number' && typeof w.end === 'number')
      empty.push({ start: w.start, end: w.end });
  }
  return { cluster: typeof doc.cluster === 'string' ? doc.cluster : cluster, labels: stringRecord(doc.labels), empty };
}

export class FleetScanner {
  private readonly metas = new Map<string, BlockMeta>();
  /** Downloads of meta.json so far: what the cache saves is visible in tests and logs. */
  metaDownloads = 0;

  constructor(
    private readonly bucket: Bucket,
    private readonly logger?: Logger,
  ) {}

  async scan(signal?: AbortSignal): Promise<FleetInventory> {
    const opts = signal ? { signal } : {};
    const objects = await this.bucket.listObjects('', opts);
    const sizes = new Map<string, number>();
    const hasMeta = new Set<string>();
    const marked = new Set<string>();
    const clusterFiles = new Map<string, { ledger?: string; heartbeat?: string }>();
    for (const o of objects) {
      const slash = o.key.indexOf('/');
      if (slash < 0) continue;
      const top = o.key.slice(0, slash);
      const rest = o.key.slice(slash + 1);
      if (ULID.test(top)) {
        sizes.set(top, (sizes.get(top) ?? 0) + o.size);
        if (rest === 'meta.json') hasMeta.add(top);
        if (rest === DELETION_MARK) marked.add(top);
        continue;
      }
      if (top !== 'promship') continue;
      const m = /^([^/]+)\/(ledger|heartbeat)\.json$/.exec(rest);
      if (!m) continue;
      const files = clusterFiles.get(m[1]!) ?? {};
      files[m[2] as 'ledger' | 'heartbeat'] = o.key;
      clusterFiles.set(m[1]!, files);
    }
    const out: FleetInventory = { blocks: [], ledgers: [], heartbeats: [], partialUploads: 0, problems: [] };
    for (const id of this.metas.keys()) if (!hasMeta.has(id)) this.metas.delete(id);
    for (const id of sizes.keys()) {
      if (!hasMeta.has(id)) {
        out.partialUploads++;
        continue;
      }
      let meta = this.metas.get(id);
      if (!meta) {
        try {
          const raw = await this.bucket.get(`${id}/meta.json`, opts);
          this.metaDownloads++;
          if (raw === null) continue; // Deleted since the listing.
          meta = parseBlockMeta(Buffer.from(raw).toString('utf8'), `${id}/meta.json`);
          this.metas.set(id, meta);
        } catch (err) {
          if (signal?.aborted) throw err;
          out.problems.push(`${id}/meta.json: ${describeError(err)}`);
          this.logger?.warn({ block: id, err: describeError(err) }, 'fleet: ignoring block with unreadable meta.json');
          continue;
        }
      }
      out.blocks.push({ meta, bytes: sizes.get(id) ?? 0, markedForDeletion: marked.has(id) });
    }
    for (const [dir, files] of clusterFiles) {
      const cluster = safeDecode(dir);
      for (const kind of ['ledger', 'heartbeat'] as const) {
        const key = files[kind];
        if (key === undefined) continue;
        try {
          const raw = await this.bucket.get(key, opts);
          if (raw === null) continue;
          if (kind === 'ledger') {
            const view = parseLedgerView(cluster, raw);
            if (view) out.ledgers.push(view);
            else out.problems.push(`${key}: not a ledger this version reads`);
          } else {
            const hb = parseHeartbeat(raw);
            if (hb) out.heartbeats.push(hb);
            else out.problems.push(`${key}: not a heartbeat this version reads`);
          }
        } catch (err) {
          if (signal?.aborted) throw err;
          out.problems.push(`${key}: ${describeError(err)}`);
        }
      }
    }
    return out;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
