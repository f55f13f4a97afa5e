/**
 * Two `promship run` agents with one cluster id and one bucket (separate data dirs: two pods, or
 * two clusters that kept Kubecost's default id): one of them finds the other's claims appearing
 * while it runs and stops shipping with PROMSHIP_CLUSTER_ID_IN_USE (an error line naming both
 * instances, the metric, /readyz 503) within two schedule intervals, and the bucket still holds
 * exactly one block per window. An agent restarted with an empty data dir after the old one was
 * killed is a new instance that sees only a dead instance's claims: it does not refuse, takes the
 * dead instance's claims over once they are stale, and ships every window exactly once.
 * Judged from the bucket's files and promtool, not from what the agents say about themselves.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { metricsWhen, startDaemon, type RunningDaemon } from '../helpers/daemon.ts';
import { freePort } from '../helpers/prometheus.ts';
import { M, startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';
import { judgeBucketDir } from '../helpers/two-writers.ts';

const BLOCK = 15 * M;
const dir = await tempDir(t);
const source = await startSource(t, dir, { windows: 2 });

async function agent(
  bucketDir: string,
  name: string,
  extra: Record<string, string> = {},
): Promise<{ daemon: RunningDaemon; base: string }> {
  const port = await freePort();
  const daemon = startDaemon(t, {
    PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
    PROMSHIP_BUCKET: `file://${bucketDir}`,
    PROMSHIP_DATA_DIR: join(dir, name),
    PROMSHIP_BLOCK_DURATION: '15m',
    PROMSHIP_MAX_BACKFILL: '1d',
    PROMSHIP_SCHEDULE: '*/2 * * * * *',
    PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${port}`,
    PROMSHIP_RETRY_BACKOFF: '1s',
    PROMSHIP_RETRY_BACKOFF_MAX: '2s',
    ...extra,
  });
  return { daemon, base: `http://127.0.0.1:${port}` };
}

const refusal = (l: Record<string, unknown>): boolean => l.code === 'PROMSHIP_CLUSTER_ID_IN_USE';

void t.test('two live agents on one cluster id: one refuses within two schedule intervals, no overlap', async (t) => {
  const bucketDir = join(dir, 'bucket-two');
  const [a, b] = await Promise.all([agent(bucketDir, 'a'), agent(bucketDir, 'b')]);
  const refused = await Promise.race(
    [a, b].map((x) =>
      x.daemon.waitForLog(refusal, 120_000, 'a PROMSHIP_CLUSTER_ID_IN_USE line').then((line) => ({ ...x, line })),
    ),
  );
  const runsBefore = refused.daemon.logs.filter((l) => l.msg === 'run finished').length;
  t.ok(runsBefore <= 2, `refused after ${runsBefore} run(s), within two schedule intervals`);
  t.equal(refused.line.level, 50, 'an error line');
  t.type(refused.line.instance, 'string', 'naming this instance');
  t.equal((refused.line.otherInstances as string[]).length, 1, 'and the other one');
  t.not((refused.line.otherInstances as string[])[0], refused.line.instance);
  t.match(String(refused.line.msg), /another live promship instance ships cluster 'cluster-two'/);

  const ready = await fetch(`${refused.base}/readyz`);
  t.equal(ready.status, 503, '/readyz 503');
  t.match(await ready.text(), /PROMSHIP_CLUSTER_ID_IN_USE/);
  const metrics = await metricsWhen(`${refused.base}/metrics`, (m) => m.get('promship_cluster_id_in_use') === 1);
  t.equal(metrics.get('promship_cluster_id_in_use'), 1, 'promship_cluster_id_in_use 1');

  // It ships nothing more: no run starts after the refusal.
  const runs = refused.daemon.logs.filter((l) => l.msg === 'run finished').length;
  await new Promise((r) => setTimeout(r, 5000));
  t.equal(refused.daemon.logs.filter((l) => l.msg === 'run finished').length, runs, 'no further runs');

  for (const x of [a, b]) x.daemon.signal('SIGTERM');
  for (const x of [a, b]) await x.daemon.exited;
  const v = await judgeBucketDir(bucketDir, source, BLOCK);
  t.same(v.overlaps, [], 'no overlapping blocks');
  t.same(
    { missing: v.missing, duplicated: v.duplicated },
    { missing: [], duplicated: [] },
    'every window shipped exactly once',
  );
  t.equal(v.dumpDifference, undefined, 'promtool dump equals the source');
});

void t.test(
  'an agent killed and replaced by one with an empty data dir: no refusal, stale claims taken over, nothing lost',
  async (t) => {
    const bucketDir = join(dir, 'bucket-replaced');
    const old = await agent(bucketDir, 'old');
    await old.daemon.waitForLog((l) => l.msg === 'shipped block', 120_000, 'a first block');
    await old.daemon.killAll();

    // A window the dead instance claimed and never shipped, for certain (besides whatever the kill left).
    const shipped = await judgeBucketDir(bucketDir, source, BLOCK);
    const unshipped = [...source.windowsWithData(BLOCK)]
      .sort((x, y) => x - y)
      .find((w) => !shipped.blocks.some((m) => m.minTime === w));
    t.ok(unshipped !== undefined, 'the kill left windows unshipped');
    const claimDir = join(bucketDir, 'promship', 'cluster-two', 'claims', `${unshipped!}-${unshipped! + BLOCK}`);
    if ((await readdir(claimDir).catch(() => [])).length === 0) {
      await mkdir(claimDir, { recursive: true });
      const body = {
        instance: 'dead-instance-0001',
        start: unshipped,
        end: unshipped! + BLOCK,
        ulid: '01JZZZZZZZZZZZZZZZZZZZZZZZ',
        claimedAt: Date.now(),
        nonce: 'abcd',
      };
      await writeFile(join(claimDir, '000000.json'), `${JSON.stringify(body)}\n`);
    }

    const fresh = await agent(bucketDir, 'fresh', { PROMSHIP_CLAIM_TIMEOUT: '4s' });
    await fresh.daemon.waitForLog(
      (l) =>
        l.msg === 'run finished' &&
        l.shipped === 0 &&
        l.failed === 0 &&
        l.pending === 0 &&
        fresh.daemon.logs.some(
          (x) => x.msg === 'one writer: took over the window claim of an instance that left it without a block',
        ),
      180_000,
      'a quiet run after taking the stale claims over',
    );
    t.same(fresh.daemon.logs.filter(refusal), [], 'the replacement never refused');
    t.ok(fresh.daemon.logs.filter((l) => l.msg === 'run finished').length >= 2, 'over several runs');
    t.equal((await fetch(`${fresh.base}/readyz`)).status, 200, '/readyz 200');
    fresh.daemon.signal('SIGTERM');
    t.equal(await fresh.daemon.exited, 0);

    const v = await judgeBucketDir(bucketDir, source, BLOCK);
    t.same(v.overlaps, [], 'no overlapping blocks');
    t.same(
      { missing: v.missing, duplicated: v.duplicated },
      { missing: [], duplicated: [] },
      'every window shipped exactly once, none lost',
    );
    t.equal(v.dumpDifference, undefined, 'promtool dump equals the source');
  },
);
