/**
 * One writer per window: before a window's block is built and published, the agent claims the
 * window with a small object in the bucket, `promship/<cluster>/claims/<start>-<end>/<gen>.json`,
 * created with the store's conditional write (`putIfAbsent`). Whoever created the highest
 * generation owns the window; everyone else leaves it alone.
 *
 * - A claim of this instance (same data dir, so the same instance id) is this agent's own: a
 *   crashed or killed run resumes it, under the ULID recorded in it.
 * - A claim of another instance that is older than `staleAfterMs` and still has no block (the
 *   window is planned, so none covers it) was left by a dead agent: it is taken over by creating
 *   the next generation, itself a conditional write, so two agents taking over at once cannot both
 *   win. The old owner, should it be alive after all, sees the newer generation when it confirms
 *   right before `meta.json`, and does not publish.
 * - On stores that ignore the precondition (s3rver, fauxqs and some S3-compatible stores), the
 *   claim is read back after writing and again right before `meta.json`: the last writer of the
 *   claim wins, and the shipper also looks for a block overlapping the window at that moment.
 *   What is left there is a race of one request's length (see docs/one-writer.md).
 * - Windows shorter than 2h also claim the 2h range they lie in (every block duration divides
 *   2h, so each window lies in one), first, on stores whose creates are exclusive: agents with
 *   different block durations never claim the same window key, and would otherwise both own
 *   overlapping windows. A 2h window's claim is that range's claim itself.
 */
import { randomBytes } from 'node:crypto';
import { ulid as newUlid } from 'ulidx';
import type { Bucket } from '../bucket/bucket.ts';
import { PromshipError } from '../errors.ts';
import type { Window } from '../series.ts';

export interface ClaimBody {
  instance: string;
  start: number;
  end: number;
  /** The ULID the owner builds the window's block under. */
  ulid: string;
  /** The owner's clock, ms. */
  claimedAt: number;
  /** Tells two writes of one instance apart on stores that overwrite. */
  nonce: string;
  host?: string;
}

/** A claim this instance holds: its generation and body. */
export interface HeldClaim {
  gen: number;
  body: ClaimBody;
  /** For a window shorter than 2h, the claim of the 2h range it lies in, held too. */
  range?: { gen: number; body: ClaimBody };
}

export type ClaimOutcome =
  | ({ owned: true; resumed: boolean; tookOverFrom?: ClaimBody } & HeldClaim)
  | {
      owned: false;
      holder: ClaimBody;
      /**
       * The holder wrote its claim while this process was running (it appeared after our look,
       * or beat us to it, or was written after we started): proof of a live writer, not a
       * leftover of a dead one.
       */
      live: boolean;
    };

export interface WindowClaimsOptions {
  bucket: Bucket;
  clusterId: string;
  instanceId: string;
  /** A foreign claim with no block for this long is taken to be a dead agent's. */
  staleAfterMs: number;
  /** When this process started: a foreign claim written after it is a live writer's. */
  startedAt: number;
  host?: string;
  now?: () => number;
}

/** Not publishing: another instance owns the window (or its block is already there). */
export class ClaimLostError extends PromshipError {
  override readonly code = 'PROMSHIP_WINDOW_CLAIM_LOST';
  readonly holder: ClaimBody | undefined;
  readonly live: boolean;

  constructor(message: string, holder: ClaimBody | undefined, live: boolean) {
    super(message);
    this.holder = holder;
    this.live = live;
  }
}

const GEN_DIGITS = 6;
/** Every block duration divides it, so every window lies in one aligned range of this length. */
const RANGE_MS = 2 * 60 * 60 * 1000;

/** The aligned 2h range `w` lies in; `w` itself when it is one. */
function claimRange(w: Window): Window {
  const start = Math.floor(w.start / RANGE_MS) * RANGE_MS;
  return { start, end: start + RANGE_MS };
}

function claimsPrefix(clusterId: string): string {
  return `promship/${encodeURIComponent(clusterId)}/claims/`;
}

export class WindowClaims {
  private readonly now: () => number;
  /** Whether the store refuses a second conditional create; learned once per process. */
  private conditional: Promise<boolean> | undefined;

  constructor(private readonly opts: WindowClaimsOptions) {
    this.now = opts.now ?? Date.now;
  }

  private windowPrefix(w: Window): string {
    return `${claimsPrefix(this.opts.clusterId)}${w.start}-${w.end}/`;
  }

  private key(w: Window, gen: number): string {
    return `${this.windowPrefix(w)}${String(gen).padStart(GEN_DIGITS, '0')}.json`;
  }

  /**
   * Does the store honour `putIfAbsent`? Two creates of one probe key: the second must say
   * false. Asked once per process (a run of the agent is a process).
   */
  honoursPreconditions(signal?: AbortSignal): Promise<boolean> {
    this.conditional ??= (async () => {
      const key = `${claimsPrefix(this.opts.clusterId)}probe-${this.opts.instanceId}-${randomBytes(4).toString('hex')}`;
      try {
        const first = await this.opts.bucket.putIfAbsent(key, 'probe\n', { signal });
        const second = await this.opts.bucket.putIfAbsent(key, 'probe again\n', { signal });
        return first && !second;
      } finally {
        await this.opts.bucket.delete(key, { signal }).catch(() => undefined);
      }
    })();
    // A failed probe is asked again next time rather than remembered.
    this.conditional.catch(() => (this.conditional = undefined));
    return this.conditional;
  }

  /** The highest generation of the window's claim and its body, or null when unclaimed. */
  private async top(w: Window, signal?: AbortSignal): Promise<{ gen: number; body: ClaimBody | null } | null> {
    const gens = (await this.opts.bucket.listChildren(this.windowPrefix(w), { signal }))
      .map((k) => /\/(\d+)\.json$/.exec(k)?.[1])
      .filter((g): g is string => g !== undefined)
      .map(Number);
    if (gens.length === 0) return null;
    const gen = Math.max(...gens);
    return { gen, body: await this.read(this.key(w, gen), signal) };
  }

  private async read(key: string, signal?: AbortSignal): Promise<ClaimBody | null> {
    const raw = await this.opts.bucket.get(key, { signal });
    if (raw === null) return null;
    try {
      const b = JSON.parse(Buffer.from(raw).toString('utf8')) as Partial<ClaimBody>;
      if (
        typeof b.instance !== 'string' ||
        typeof b.claimedAt !== 'number' ||
        typeof b.ulid !== 'string' ||
        typeof b.nonce !== 'string'
      )
        return null;
      return b as ClaimBody;
    } catch {
      // A torn claim (a store without atomic writes, killed mid-PUT) claims nothing.
      return null;
    }
  }

  /**
   * Claims `w` for this instance, with `ulid` as its block's ULID unless this instance already
   * holds the claim (its ULID is then the claim's); `ulid` is told whether an older claim is being
   * taken over. A window shorter than 2h claims its 2h range first, under a ULID of its own that
   * no block is built under unless a 2h window of this instance later resumes that claim. Never
   * overwrites another instance's claim.
   */
  async acquire(w: Window, ulid: (takingOver: boolean) => string, signal?: AbortSignal): Promise<ClaimOutcome> {
    const range = claimRange(w);
    // Only where creates are exclusive: on a store that overwrites, the last writer of the range
    // and the last writer of the window may be two agents, and then both would leave the window
    // (the check before meta.json still looks for another's block over it, as for any window).
    if ((range.start === w.start && range.end === w.end) || !(await this.honoursPreconditions(signal)))
      return this.acquireOne(w, ulid, signal);
    const rangeOutcome = await this.acquireOne(range, () => newUlid(this.now()), signal);
    if (!rangeOutcome.owned) return rangeOutcome;
    const outcome = await this.acquireOne(w, ulid, signal);
    if (!outcome.owned) return outcome;
    return { ...outcome, range: { gen: rangeOutcome.gen, body: rangeOutcome.body } };
  }

  /**
   * A new generation of this instance's own claim on `w`, under another ULID: for a window whose
   * claimed ULID can no longer be built under (too old to resume, or its block was published
   * under other labels). Created conditionally like any claim, so it also fails when another
   * instance took the window over meanwhile.
   */
  async renew(w: Window, held: HeldClaim, ulid: string, signal?: AbortSignal): Promise<ClaimOutcome> {
    const outcome = await this.create(w, held.gen + 1, ulid, signal);
    if (!outcome.owned) return outcome;
    return { ...outcome, ...(held.range ? { range: held.range } : {}) };
  }

  private async acquireOne(
    w: Window,
    ulid: (takingOver: boolean) => string,
    signal?: AbortSignal,
  ): Promise<ClaimOutcome> {
    const top = await this.top(w, signal);
    let takeOver: ClaimBody | undefined;
    if (top !== null) {
      const { body } = top;
      if (body?.instance === this.opts.instanceId) return { owned: true, gen: top.gen, body, resumed: true };
      if (body !== null && this.now() - body.claimedAt < this.opts.staleAfterMs) {
        return { owned: false, holder: body, live: body.claimedAt >= this.opts.startedAt };
      }
      takeOver = body ?? undefined;
    }
    const outcome = await this.create(w, top === null ? 0 : top.gen + 1, ulid(top !== null), signal);
    return outcome.owned && takeOver ? { ...outcome, tookOverFrom: takeOver } : outcome;
  }

  /** Creates generation `gen` of this instance's claim on `w`; owned unless another write won. */
  private async create(w: Window, gen: number, ulid: string, signal?: AbortSignal): Promise<ClaimOutcome> {
    const body: ClaimBody = {
      instance: this.opts.instanceId,
      start: w.start,
      end: w.end,
      ulid,
      claimedAt: this.now(),
      nonce: randomBytes(8).toString('hex'),
      ...(this.opts.host !== undefined ? { host: this.opts.host } : {}),
    };
    const key = this.key(w, gen);
    const created = await this.opts.bucket.putIfAbsent(key, `${JSON.stringify(body)}\n`, { signal });
    const conditional = await this.honoursPreconditions(signal);
    if (!created || !conditional) {
      // Lost the race, or a store that overwrites: whatever the claim says now is the truth (a
      // 412 answering the SDK's retry of our own lost-answer create reads back as ours).
      const stored = await this.read(key, signal);
      if (stored === null || stored.instance !== body.instance || stored.nonce !== body.nonce) {
        if (stored === null) throw new ClaimLostError(`claim ${key} vanished while being written`, undefined, true);
        return { owned: false, holder: stored, live: true };
      }
    }
    return { owned: true, gen, body, resumed: false };
  }

  /**
   * Right before `meta.json`: is the claim still this instance's (no newer generation taken over,
   * not overwritten on a store without preconditions)? Throws ClaimLostError when not.
   */
  async confirm(w: Window, owned: HeldClaim, signal?: AbortSignal): Promise<void> {
    if (owned.range) await this.confirmOne(claimRange(w), owned.range, signal);
    await this.confirmOne(w, owned, signal);
  }

  private async confirmOne(w: Window, owned: { gen: number; body: ClaimBody }, signal?: AbortSignal): Promise<void> {
    const top = await this.top(w, signal);
    const mine =
      top !== null &&
      top.gen === owned.gen &&
      top.body?.instance === owned.body.instance &&
      top.body.nonce === owned.body.nonce;
    if (!mine) {
      throw new ClaimLostError(
        `window claim ${this.key(w, owned.gen)} is no longer this instance's (now ${top?.body ? `instance ${top.body.instance}, generation ${top.gen}` : 'gone'}); not publishing`,
        top?.body ?? undefined,
        true,
      );
    }
  }

  /** Deletes the claims of windows that ended before `before` (out of the planning horizon). */
  async prune(before: number, signal?: AbortSignal): Promise<number> {
    let deleted = 0;
    for (const dir of await this.opts.bucket.listChildren(claimsPrefix(this.opts.clusterId), { signal })) {
      const m = /\/(\d+)-(\d+)\/$/.exec(dir);
      if (!m || Number(m[2]) >= before) continue;
      for (const o of await this.opts.bucket.listObjects(dir, { signal })) {
        await this.opts.bucket.delete(o.key, { signal });
        deleted++;
      }
    }
    return deleted;
  }
}
