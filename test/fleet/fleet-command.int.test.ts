/**
 * `promship fleet --json` over a real shared bucket (see test/helpers/fleet-bucket.ts): three
 * promship clusters and a sidecar's label set; one agent stopped, one block deleted, one duplicate
 * copied in. Each cluster's lag, the deleted block's window as a gap, the overlap and the stale
 * heartbeat are reported, and the exit code is 1; before the damage it was 0. Only the bucket
 * setting is given: no Prometheus, no cluster id.
 */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { runCli } from '../helpers/cli.ts';
import { buildFleetScenario } from '../helpers/fleet-bucket.ts';
import { tempDir } from '../helpers/tmp.ts';
import { until } from '../helpers/until.ts';
import type { FleetReport, FleetRow } from '../../src/fleet/report.ts';

const VERSION = (
  JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

void t.test('fleet --json tells lag, gaps, overlaps and stale agents of every label set', async (t) => {
  const dir = await tempDir(t);
  const s = await buildFleetScenario(t, dir);

  const before = JSON.parse(s.healthyBefore.stdout) as FleetReport;
  t.equal(s.healthyBefore.code, 0, `healthy fleet exits 0 (${s.healthyBefore.stderr.slice(0, 300)})`);
  t.same(
    before.clusters.map((c) => c.labels.cluster_id),
    ['a', 'b'],
  );
  t.ok(before.healthy);

  // Cluster c's agent runs every second: stopped, its heartbeat is stale after three seconds.
  const { result, report } = await until(
    "c's heartbeat to go stale",
    async () => {
      const r = await runCli(['fleet', '--json'], s.env);
      const rep = JSON.parse(r.stdout) as FleetReport;
      return rep.clusters.find((c) => c.labels.cluster_id === 'c')?.flags.staleAgent
        ? { result: r, report: rep }
        : undefined;
    },
    120_000,
    500,
  );
  t.equal(result.code, 1, 'exit 1: the fleet is not healthy');
  t.notOk(report.healthy);
  const row = (id: string): FleetRow => report.clusters.find((c) => c.labels.cluster_id === id)!;
  t.same(
    report.clusters.map((c) => c.labels.cluster_id),
    ['a', 'b', 'c', 'sidecar-x'],
    'one row per label set',
  );
  t.same(report.labelNames, ['cluster_id', 'env', 'region'], 'the union of label names');
  t.same(row('a').labels, { cluster_id: 'a', env: 'test' });

  const metas = await s.metas();
  for (const id of ['a', 'b', 'c', 'sidecar-x']) {
    const blocks = metas.get(id)!;
    const newest = Math.max(...blocks.map((m) => m.maxTime));
    t.equal(row(id).newestBlockEnd, newest, `${id}: newest block end`);
    t.equal(row(id).lagSeconds, Math.round((report.now - newest) / 1000), `${id}: lag`);
    t.equal(row(id).blocks.raw, blocks.length, `${id}: block count`);
    let bytes = 0;
    for (const m of blocks) bytes += await s.bytesOf(m.ulid);
    t.equal(row(id).bytes.raw, bytes, `${id}: bytes as stored`);
  }

  t.same(row('a').gaps, [{ start: s.deleted.minTime, end: s.deleted.maxTime }], "the deleted block's window is a gap");
  t.equal(row('a').gapSeconds, (s.deleted.maxTime - s.deleted.minTime) / 1000);
  t.ok(row('a').problems.includes('gaps'));
  t.same(row('b').gaps, [], 'b has no gap');
  t.same(
    row('b').overlaps.map((o) => [o.a, o.b].sort()),
    [[s.duplicate.original, s.duplicate.copy].sort()],
    'the overlap names both blocks',
  );
  t.equal(row('b').overlappingBlocks, 2);
  t.same(row('a').overlaps, [], 'a has no overlap');

  t.ok(row('c').flags.staleAgent, 'the stopped agent is stale');
  t.ok(row('c').heartbeat!.ageSeconds >= 3, 'its heartbeat is older than three intervals');
  t.equal(row('c').heartbeat?.scheduleIntervalMs, 1000);
  for (const id of ['a', 'b']) {
    t.notOk(row(id).flags.staleAgent, `${id} is not stale`);
    t.equal(row(id).heartbeat?.agentVersion, VERSION, `${id}: agent version`);
    t.equal(row(id).heartbeat?.result, 'success', `${id}: last run`);
    t.same(row(id).heartbeat?.liveWriters.length, 1, `${id}: one writer`);
  }
  t.equal(row('sidecar-x').heartbeat, null, 'the sidecar has no heartbeat');
  t.equal(row('sidecar-x').cluster, null);
  t.ok(row('sidecar-x').healthy, 'a sidecar that is fresh is healthy');
  t.notOk(row('a').healthy);
  t.notOk(row('b').healthy);
  t.notOk(row('c').healthy);

  const human = await runCli(['fleet'], s.env);
  t.equal(human.code, 1);
  t.match(human.stdout, /gap: cluster_id="a",env="test": no block for /);
  t.match(
    human.stdout,
    new RegExp(`overlap: cluster_id="b",env="test": (${s.duplicate.original}|${s.duplicate.copy}) and`),
  );
  t.match(human.stdout, /stale agent: cluster_id="c",env="test"/);
});

void t.test('fleet needs only the bucket setting', async (t) => {
  const missing = await runCli(['fleet'], {});
  t.equal(missing.code, 2);
  t.match(missing.stderr, /^promship: no bucket: set PROMSHIP_BUCKET/);
  t.equal(missing.stderr.trim().split('\n').length, 1, 'one line');
  const bad = await runCli(['fleet', '--json'], {
    PROMSHIP_BUCKET: 'file:///nonexistent-promship-fleet',
    PROMSHIP_FLEET_LOOKBACK: 'soon',
  });
  t.equal(bad.code, 2);
  t.match(bad.stderr, /invalid PROMSHIP_FLEET_LOOKBACK/);
  const flag = await runCli(['fleet', '--prometheus-url', 'http://x'], {
    PROMSHIP_BUCKET: 'file:///nonexistent-promship-fleet',
  });
  t.equal(flag.code, 2);
  t.match(flag.stderr, /--prometheus-url is not used by this command/);
  const dir = await tempDir(t);
  const empty = await runCli(['fleet', '--json'], {
    PROMSHIP_BUCKET: `file://${dir}`,
    PROMSHIP_PROMETHEUS_URL: 'not a url at all',
  });
  t.equal(
    empty.code,
    0,
    `an empty bucket is a healthy, empty fleet; Prometheus settings are not read (${empty.stderr})`,
  );
  t.same((JSON.parse(empty.stdout) as FleetReport).clusters, []);
});
