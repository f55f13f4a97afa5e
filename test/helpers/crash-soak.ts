/**
 * The machinery of the SIGKILL soak (test/daemon/crash*.test.ts), for any store: the agent and its
 * run process are killed together with SIGKILL (as a pod dies) at random moments, many times,
 * most of them while a block is being uploaded, and then left to finish. Judged only with the
 * store's own SDK (what is really in the bucket) and promtool (what the data really is):
 * - no two blocks of the cluster overlap, and every window with data has exactly one block;
 * - no meta.json exists for a block whose files are missing or short;
 * - `promtool tsdb dump` of all shipped blocks equals the source dump;
 * - an interrupted upload is resumed under the ULID it claimed in the ledger.
 * Partial uploads (directories without meta.json) may remain; Thanos removes them. They are counted.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { bucketTarget, type BucketTarget, type TargetKind } from './bucket-targets.ts';
import { blockFileProblems, inspectBucket, type BucketInspector } from './bucket-inspector.ts';
import { startDaemon, type RunningDaemon } from './daemon.ts';
import { startPassThroughProxy } from './pass-through-proxy.ts';
import { freePort } from './prometheus.ts';
import { checkShipped } from './shipped-checks.ts';
import { seededRandom } from './seeded-random.ts';
import { M, startSource } from './source.ts';
import { tempDir } from './tmp.ts';

const BLOCK = 15 * M;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface UploadWatch {
  /** Variables that route promship's requests where the watch sees them. */
  env: Record<string, string>;
  /** Resolves once an object of a block without meta.json (a new ULID, not in `known`) is on its way into the store. */
  waitForUnpublishedObject(known: Set<string>, daemon: RunningDaemon): Promise<void>;
}

const ULID_PATH = /\/([0-9A-HJKMNP-TV-Z]{26})\/(.+?)(?:\?|$)/;

/**
 * s3rver: its files are watched directly. Azurite: a pass-through proxy in front of it sees each
 * write as it starts (a listing through the store takes longer than the rest of a small block's
 * upload, so the kill would mostly land after meta.json). Any other store (the GCS emulator, in
 * memory, lists fast): by listing.
 */
async function uploadWatch(t: Test, target: BucketTarget, bucket: BucketInspector): Promise<UploadWatch> {
  if (target.azurite === undefined && target.server?.dataDir === undefined) {
    return { env: {}, waitForUnpublishedObject: (known, daemon) => waitForUnpublishedListed(bucket, known, daemon) };
  }
  if (target.server?.dataDir !== undefined) {
    // Where s3rver keeps the objects under promship's prefix (`thanos/`).
    const objectsDir = join(target.server.dataDir, target.server.bucket, 'thanos');
    return { env: {}, waitForUnpublishedObject: (known, daemon) => waitForS3rverObject(objectsDir, known, daemon) };
  }
  const azurite = target.azurite!;
  const writes: { ulid: string; rel: string }[] = [];
  let notify: (() => void) | undefined;
  const proxy = await startPassThroughProxy(t, `http://127.0.0.1:${azurite.port}`, (req) => {
    const m = ULID_PATH.exec(req.url ?? '');
    if (req.method === 'PUT' && m) {
      writes.push({ ulid: m[1]!, rel: m[2]! });
      notify?.();
    }
    return false;
  });
  return {
    env: await target.envVia!(`${proxy.url}/${azurite.account}`),
    async waitForUnpublishedObject(known, daemon) {
      const published = new Set(known);
      let seen = writes.length;
      for (;;) {
        if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) return;
        for (; seen < writes.length; seen++) {
          const w = writes[seen]!;
          if (w.rel === 'meta.json') published.add(w.ulid);
          else if (!published.has(w.ulid)) return;
        }
        await new Promise<void>((resolve) => {
          notify = resolve;
          setTimeout(resolve, 50);
        });
      }
    },
  };
}

export async function crashSoak(t: Test, kind: TargetKind, KILLS: number, SEED: number): Promise<void> {
  t.comment(`kills=${KILLS} seed=${SEED} (PROMSHIP_CRASH_SEED=${SEED} replays the kill moments)`);
  const rnd = seededRandom(SEED);
  const dir = await tempDir(t);
  // Enough 15m windows (8 per 2h) that every kill still finds work: a few blocks ship per kill.
  const source = await startSource(t, dir, { windows: Math.max(4, Math.ceil((KILLS * 3) / 8)), scale: 2 });
  const expectedWindows = source.windowsWithData(BLOCK);
  const target = await bucketTarget(t, kind, join(dir, 'bucket'));
  const bucket = inspectBucket(t, target);
  const watch = await uploadWatch(t, target, bucket);
  const env = {
    ...target.env,
    ...watch.env,
    PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_BLOCK_DURATION: '15m',
    PROMSHIP_MAX_BACKFILL: '30d',
    PROMSHIP_SCHEDULE: '*/1 * * * * *',
    PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${await freePort()}`,
    PROMSHIP_RETRY_BACKOFF: '1s',
    PROMSHIP_RETRY_BACKOFF_MAX: '2s',
    PROMSHIP_S3_CHECKSUM_MODE: 'when-required',
  };

  const allLogs: Record<string, unknown>[] = [];
  /** ULIDs the ledger held as claimed (not shipped) right after a kill, with a partial upload present. */
  const claimedPartials = new Map<string, number>();
  let landedMidUpload = 0;
  const modes = { afterStart: 0, afterShipped: 0, onPartial: 0 };

  let tornLedgers = 0;
  const tornAfterKill: string[] = [];
  let kills = 0;
  // A few extra kills, aimed at uploads, if none of the planned ones happened to land in one.
  for (let kill = 0; kill < KILLS || (landedMidUpload === 0 && kill < KILLS + 10); kill++) {
    kills++;
    const snapBefore = await bucket.snapshot();
    const before = new Set(snapBefore.partial.map((b) => b.ulid));
    const daemon = startDaemon(t, env);
    await daemon.waitForLog((l) => l.msg === 'promship configured', 60_000, 'startup');
    const finished = daemon
      .waitForLog((l) => l.msg === 'run finished', 120_000, 'a finished run')
      .then(
        () => 'finished' as const,
        () => 'finished' as const,
      );
    const mode =
      kill >= KILLS ? 'onPartial' : rnd.pick(['afterStart', 'afterShipped', 'onPartial', 'onPartial'] as const);
    modes[mode]++;
    let moment: Promise<unknown>;
    if (mode === 'afterStart') {
      // Anywhere in the run's start or its first windows: bucket scan, ledger, read, build, upload.
      moment = sleep(rnd.int(0, 1000));
    } else if (mode === 'afterShipped') {
      const n = rnd.int(1, 2);
      moment = daemon
        .waitForLog(() => daemon.logs.filter((l) => l.msg === 'shipped block').length >= n, 120_000, 'a shipped block')
        .then(() => sleep(rnd.int(0, 300)))
        // The run may finish first and the kill end the wait: that is a kill between runs.
        .catch(() => undefined);
    } else {
      moment = watch
        .waitForUnpublishedObject(new Set(snapBefore.blocks.map((b) => b.ulid)), daemon)
        .then(() => sleep(rnd.int(0, 20)));
    }
    await Promise.race([moment, finished]);
    // The pod dies: the agent and its run process together.
    await daemon.killAll();
    t.equal(await daemon.exited, 'SIGKILL', `kill ${kill + 1} (${mode})`);
    allLogs.push(...daemon.logs);

    const after = await bucket.snapshot();
    // Right after each kill, too: a published block is complete at every moment, not just at the end.
    tornAfterKill.push(
      ...after.complete.flatMap(blockFileProblems),
      ...after.blocks.filter((b) => b.metaError).map((b) => `${b.ulid}: meta.json ${b.metaError}`),
    );
    const fresh = after.partial.filter((b) => !before.has(b.ulid));
    if (fresh.length > 0) landedMidUpload++;
    const ledgerRaw = await bucket.get('promship/cluster-two/ledger.json');
    if (ledgerRaw) {
      try {
        const ledger = JSON.parse(ledgerRaw.toString('utf8')) as {
          windows: { start: number; state: string; ulid?: string }[];
        };
        for (const e of ledger.windows) {
          if (e.state === 'claimed' && e.ulid && after.partial.some((b) => b.ulid === e.ulid))
            claimedPartials.set(e.ulid, e.start);
        }
      } catch {
        // A kill in the middle of the ledger's own PUT can tear it on s3rver (real S3 writes are
        // atomic); promship then starts a new ledger and forgets its claims, so an unfinished
        // claimed upload is redone under a new ULID (its partial directory stays). The final
        // checks still cover every window.
        tornLedgers++;
        const complete = new Set(after.complete.map((b) => b.ulid));
        for (const ulid of claimedPartials.keys()) if (!complete.has(ulid)) claimedPartials.delete(ulid);
      }
    }
  }

  // Left alone, the agent finishes: a run that ships nothing, fails nothing, leaves nothing pending.
  const last = startDaemon(t, env);
  await last.waitForLog(
    (l) => l.msg === 'run finished' && l.shipped === 0 && l.failed === 0 && l.pending === 0,
    300_000,
    'a quiet run',
  );
  last.signal('SIGTERM');
  t.equal(await last.exited, 0, 'the last agent stops cleanly');
  allLogs.push(...last.logs);

  t.same(tornAfterKill, [], 'after every kill, every block with meta.json had all its files at their listed sizes');
  const { snap, ours } = await checkShipped(t, bucket, source, { blockMs: BLOCK, dir });

  // Interrupted uploads are resumed under their claimed ULID, which then is the window's block.
  const resumed = allLogs.filter((l) => String(l.msg).startsWith('resuming an interrupted upload'));
  const complete = new Map(ours.map((m) => [m.ulid, m]));
  for (const l of resumed) t.ok(complete.has(String(l.ulid)), `resumed ${String(l.ulid)} became a complete block`);
  for (const [ulid, start] of claimedPartials) {
    t.equal(
      complete.get(ulid)?.minTime,
      start,
      `the partial upload claimed as ${ulid} was finished under the same ULID`,
    );
  }
  t.ok(landedMidUpload > 0 && resumed.length > 0, 'some kills landed in the middle of an upload and were resumed');

  const partial = snap.partial.length;
  const shippedLines = allLogs.filter((l) => l.msg === 'shipped block').length;
  t.comment(
    `kills=${kills} (${JSON.stringify(modes)}) landedMidUpload=${landedMidUpload} resumedWithObjects=${resumed.length} ` +
      `claimedPartialsSeen=${claimedPartials.size} windows=${expectedWindows.size} shippedLines=${shippedLines} partialDirsLeft=${partial} ` +
      `tornLedgers=${tornLedgers} ledgerWarnings=${allLogs.filter((l) => String(l.msg).includes('ledger')).length}`,
  );
}

/**
 * Resolves as soon as an object of a block without meta.json becomes visible in the bucket (a new
 * ULID, not in `known`). s3rver's files are watched directly: a listing through S3 takes longer
 * than the rest of a small block's upload, so the kill would mostly land after meta.json.
 */
async function waitForS3rverObject(objectsDir: string, known: Set<string>, daemon: RunningDaemon): Promise<void> {
  // s3rver writes `<key>._S3rver_object`, then `<key>._S3rver_metadata.json` once the PUT is complete.
  const visible = (name: string): string => `${name}._S3rver_metadata.json`;
  for (;;) {
    if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) return;
    for (const id of await readdir(objectsDir).catch(() => [] as string[])) {
      if (known.has(id) || !/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) continue;
      const top = await readdir(join(objectsDir, id)).catch(() => [] as string[]);
      if (top.includes(visible('meta.json'))) {
        known.add(id);
        continue;
      }
      const chunks = await readdir(join(objectsDir, id, 'chunks')).catch(() => [] as string[]);
      if (top.includes(visible('index')) || chunks.some((f) => f.endsWith('._S3rver_metadata.json'))) return;
    }
    await sleep(2);
  }
}

/** The same by listing (the GCS emulator keeps its objects in memory and lists fast). */
async function waitForUnpublishedListed(
  bucket: BucketInspector,
  known: Set<string>,
  daemon: RunningDaemon,
): Promise<void> {
  for (;;) {
    if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) return;
    const byUlid = new Map<string, string[]>();
    for (const o of await bucket.list().catch(() => [])) {
      const i = o.key.indexOf('/');
      const id = o.key.slice(0, i);
      if (i < 0 || known.has(id) || !/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) continue;
      byUlid.set(id, [...(byUlid.get(id) ?? []), o.key.slice(i + 1)]);
    }
    for (const [id, rels] of byUlid) {
      if (rels.includes('meta.json')) known.add(id);
      else return;
    }
    await sleep(2);
  }
}
