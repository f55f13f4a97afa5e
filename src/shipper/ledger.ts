/**
 * The shipping ledger: one small JSON document per cluster in the bucket, under
 * `promship/<cluster>/ledger.json` (Thanos ignores top-level names that are not ULIDs). Blocks in
 * the bucket are the first truth about what was shipped; the ledger adds what blocks cannot say:
 * which ULID a window was claimed under before its upload began (so a crashed upload is resumed
 * under the same ULID instead of leaving a second partial block), which windows were empty (so
 * they are not read again every run), which failed, how often, and when to try again, and which
 * time ranges were shipped or found covered (`shipped`, merged ranges), because the compactor's
 * retention deletes raw blocks long before they leave the backfill horizon, and a window whose
 * block is gone must not be shipped again.
 *
 * One agent per cluster writes it (the Helm chart's Recreate strategy), so read-modify-write is
 * safe without conditional writes, which several S3-compatible stores lack.
 */
import type { Bucket } from '../bucket/bucket.ts';
import { sameLabels } from './identity.ts';
import type { Window } from '../series.ts';

export type WindowState = 'claimed' | 'shipped' | 'empty' | 'failed';

export interface LedgerEntry {
  start: number;
  end: number;
  state: WindowState;
  /** The block's ULID: claimed (upload may be partial) or shipped. */
  ulid?: string;
  /** When the current ULID was claimed, ms. */
  claimedAt?: number;
  shippedAt?: number;
  /** Consecutive failures. */
  attempts?: number;
  lastError?: string;
  lastErrorCode?: string;
  /** Not before this time, ms (exponential backoff with jitter). */
  nextRetryAt?: number;
}

export interface LedgerDocument {
  version: 1;
  cluster: string;
  labels: Record<string, string>;
  updatedAt: number;
  windows: LedgerEntry[];
  /** Ranges [start, end) ms whose data is in the bucket or was: sorted, disjoint, not touching. */
  shipped?: [number, number][];
  /**
   * Which relabel rules were in force for each shipped range: `[start, end, hash]`, sorted,
   * adjacent ranges of one hash merged; `none` when no rules ran. Changing the rules never makes
   * a shipped range ship again; this says what each range was shipped under.
   */
  rules?: [number, number, string][];
  /** Start of the oldest window the last run considered (the backfill horizon, capped by the oldest data in Prometheus). */
  plannedFrom?: number;
}

export function ledgerKey(clusterId: string): string {
  return `promship/${encodeURIComponent(clusterId)}/ledger.json`;
}

export class Ledger {
  private readonly entries = new Map<number, LedgerEntry>();
  /** See `LedgerDocument.shipped`. */
  private ranges: [number, number][] = [];
  /** See `LedgerDocument.rules`. */
  private ruleRanges: [number, number, string][] = [];
  /** When the stored ledger was last written, ms; null for a new ledger. */
  updatedAt: number | null = null;
  /** See `LedgerDocument.plannedFrom`. */
  plannedFrom: number | null = null;

  private constructor(
    private readonly bucket: Bucket,
    private readonly clusterId: string,
    private readonly labels: Record<string, string>,
  ) {}

  /** Reads the ledger from the bucket; a missing or unreadable ledger starts empty (blocks stay the truth). */
  static async load(
    bucket: Bucket,
    clusterId: string,
    labels: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<{ ledger: Ledger; problem?: string }> {
    const ledger = new Ledger(bucket, clusterId, labels);
    const raw = await bucket.get(ledgerKey(clusterId), { signal });
    if (raw === null) return { ledger };
    try {
      const doc = JSON.parse(Buffer.from(raw).toString('utf8')) as Partial<LedgerDocument>;
      if (doc.version !== 1 || !Array.isArray(doc.windows)) throw new Error('unknown ledger version');
      // What it remembers was shipped under those labels: blocks with other labels cover nothing
      // of this label set, and neither does the memory of them.
      // Read from the bucket: its fields are checked, not trusted to match LedgerDocument.
      const docLabels: unknown = doc.labels;
      if (
        docLabels !== undefined &&
        (typeof docLabels !== 'object' ||
          docLabels === null ||
          !sameLabels(docLabels as Record<string, string>, labels))
      ) {
        return {
          ledger,
          problem: `ledger ${ledgerKey(clusterId)} was kept for the external labels ${JSON.stringify(doc.labels)}, not ${JSON.stringify(labels)}; starting a new one for these labels (windows are planned from their blocks)`,
        };
      }
      ledger.updatedAt = typeof doc.updatedAt === 'number' ? doc.updatedAt : null;
      ledger.plannedFrom = Number.isSafeInteger(doc.plannedFrom) ? (doc.plannedFrom as number) : null;
      for (const e of doc.windows as (LedgerEntry | null)[]) {
        if (typeof e?.start === 'number' && typeof e.end === 'number' && typeof e.state === 'string')
          ledger.entries.set(e.start, e);
      }
      for (const r of Array.isArray(doc.shipped) ? doc.shipped : []) {
        if (Array.isArray(r) && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]) && r[0] < r[1])
          ledger.markShipped({ start: r[0], end: r[1] });
      }
      for (const r of Array.isArray(doc.rules) ? doc.rules : []) {
        if (
          Array.isArray(r) &&
          Number.isSafeInteger(r[0]) &&
          Number.isSafeInteger(r[1]) &&
          r[0] < r[1] &&
          typeof r[2] === 'string'
        ) {
          ledger.markRules({ start: r[0], end: r[1] }, r[2]);
        }
      }
      return { ledger };
    } catch (err) {
      return {
        ledger,
        problem: `ledger ${ledgerKey(clusterId)} is unreadable (${err instanceof Error ? err.message : String(err)}); starting a new one`,
      };
    }
  }

  get(window: Window): LedgerEntry | undefined {
    const e = this.entries.get(window.start);
    return e && e.end === window.end ? e : undefined;
  }

  all(): LedgerEntry[] {
    return [...this.entries.values()].sort((a, b) => a.start - b.start);
  }

  /** Records a window's state; a shipped window is also remembered in the shipped ranges. */
  set(entry: LedgerEntry): void {
    this.entries.set(entry.start, entry);
    if (entry.state === 'shipped') this.markShipped(entry);
  }

  delete(window: Window): void {
    if (this.get(window)) this.entries.delete(window.start);
  }

  /** Remembers that `range` was shipped under the relabel rules with hash `hash`. */
  markRules(range: Window, hash: string): void {
    const out: [number, number, string][] = [];
    for (const r of this.ruleRanges) {
      // The new range replaces whatever it overlaps (it is what the bucket now holds).
      if (r[1] <= range.start || r[0] >= range.end) out.push(r);
      else {
        if (r[0] < range.start) out.push([r[0], range.start, r[2]]);
        if (r[1] > range.end) out.push([range.end, r[1], r[2]]);
      }
    }
    out.push([range.start, range.end, hash]);
    out.sort((a, b) => a[0] - b[0]);
    const merged: [number, number, string][] = [];
    for (const r of out) {
      const last = merged.at(-1);
      if (last && last[1] === r[0] && last[2] === r[2]) last[1] = r[1];
      else merged.push([...r]);
    }
    this.ruleRanges = merged;
  }

  /** See `LedgerDocument.rules`. */
  rulesByRange(): { start: number; end: number; hash: string }[] {
    return this.ruleRanges.map(([start, end, hash]) => ({ start, end, hash }));
  }

  /** Remembers that the data of `range` is in the bucket (shipped, or covered by a block). */
  markShipped(range: Window): void {
    let { start, end } = range;
    const kept: [number, number][] = [];
    for (const [s, e] of this.ranges) {
      if (e < start || s > end) kept.push([s, e]);
      else {
        start = Math.min(start, s);
        end = Math.max(end, e);
      }
    }
    kept.push([start, end]);
    this.ranges = kept.sort((a, b) => a[0] - b[0]);
  }

  /** The shipped ranges, sorted and disjoint. */
  shippedRanges(): Window[] {
    return this.ranges.map(([start, end]) => ({ start, end }));
  }

  /**
   * Forgets windows that ended before `before` (outside the planning horizon) and shipped ranges
   * that ended before `rangesBefore`. Ranges are kept much longer than one run's horizon: a
   * single run with a shorter PROMSHIP_MAX_BACKFILL (`promship once --max-backfill 3h`) must not
   * make the agent's next run forget what it shipped; merged, they cost a few bytes each.
   */
  prune(before: number, rangesBefore = before): void {
    for (const [start, e] of this.entries) if (e.end <= before) this.entries.delete(start);
    this.ranges = this.ranges.filter(([, e]) => e > rangesBefore).map(([s, e]) => [Math.max(s, rangesBefore), e]);
    this.ruleRanges = this.ruleRanges
      .filter(([, e]) => e > rangesBefore)
      .map(([s, e, h]) => [Math.max(s, rangesBefore), e, h]);
  }

  async save(now: number, signal?: AbortSignal): Promise<void> {
    const doc: LedgerDocument = {
      version: 1,
      cluster: this.clusterId,
      labels: this.labels,
      updatedAt: now,
      // Shipped windows live on as merged ranges: one entry each would make every save grow
      // with the number of windows shipped, and a long backfill upload quadratic bytes.
      windows: this.all().filter((e) => e.state !== 'shipped'),
      shipped: this.ranges,
      ...(this.ruleRanges.length > 0 ? { rules: this.ruleRanges } : {}),
      ...(this.plannedFrom !== null ? { plannedFrom: this.plannedFrom } : {}),
    };
    this.updatedAt = now;
    await this.bucket.put(ledgerKey(this.clusterId), `${JSON.stringify(doc, null, 1)}\n`, { signal });
  }
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** Exponential backoff with full jitter in [delay/2, delay]: failing agents spread out. */
export function nextRetryDelay(attempts: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp / 2 + (random() * exp) / 2);
}
