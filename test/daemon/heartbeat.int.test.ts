/**
 * The agent (`promship run`) leaves a heartbeat after every run: after a run that shipped, one
 * with result success, the data dir's instance id and the schedule's interval; and after runs that
 * failed at start (Prometheus unreachable, cluster id configured), one with result error and the
 * failing code, the last success carried over, and the agent's own lag metric counting on.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { HeartbeatDocument } from '../../src/shipper/heartbeat.ts';
import { startDaemon } from '../helpers/daemon.ts';
import { freePort } from '../helpers/prometheus.ts';
import { startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';
import { until } from '../helpers/until.ts';

void t.test('promship run writes a heartbeat after every run, failed ones too', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir, { external: { env: 'test' } });
  const bucketDir = join(dir, 'bucket');
  const heartbeatFile = join(bucketDir, 'promship', 'hb-cluster', 'heartbeat.json');
  const read = async (): Promise<HeartbeatDocument | undefined> => {
    try {
      return JSON.parse(await readFile(heartbeatFile, 'utf8')) as HeartbeatDocument;
    } catch {
      return undefined;
    }
  };
  const env = {
    PROMSHIP_BUCKET: `file://${bucketDir}`,
    PROMSHIP_CLUSTER_ID: 'hb-cluster',
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_MAX_BACKFILL: '1d',
    PROMSHIP_SCHEDULE: '*/2 * * * * *',
  };

  const port = await freePort();
  const agent = startDaemon(t, {
    ...env,
    PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
    PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${port}`,
  });
  await agent.waitForLog((l) => l.msg === 'run finished', 120_000, 'the first run');
  const ok = await until(
    'a heartbeat after a successful run',
    async () => ((await read())?.result === 'success' ? read() : undefined),
    60_000,
    100,
  );
  t.equal(
    ok.instanceId,
    (await readFile(join(dir, 'data', 'instance-id'), 'utf8')).trim(),
    "the data dir's instance id",
  );
  t.equal(ok.scheduleIntervalMs, 2000, "the schedule's interval");
  t.same(ok.labels, { cluster_id: 'hb-cluster', env: 'test' }, "the cluster's external labels");
  t.equal(ok.newestShippedEnd, source.dataEnd, 'the newest shipped end');
  t.ok(ok.lastSuccessAt, 'a last success');
  // Runs after the first learn the schedule's interval only after their windows.
  const later = await until(
    'a heartbeat of a later run',
    async () => {
      const hb = await read();
      return hb && hb.runEndedAt > ok.runEndedAt && hb.result === 'success' ? hb : undefined;
    },
    60_000,
    100,
  );
  t.equal(later.scheduleIntervalMs, 2000, "a later run's heartbeat has the schedule's interval too");
  agent.signal('SIGTERM');
  t.equal(await agent.exited, 0);

  // Prometheus gone: every run fails before it learns the labels; the heartbeat says so.
  const deadPort = await freePort();
  const failing = startDaemon(t, {
    ...env,
    PROMSHIP_PROMETHEUS_URL: `http://127.0.0.1:${deadPort}`,
    PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${await freePort()}`,
  });
  const err = await until(
    'a heartbeat after a failed run',
    async () => {
      const hb = await read();
      return hb?.result === 'error' ? hb : undefined;
    },
    120_000,
    100,
  );
  t.match(err.failingCodes.join(','), /PROMSHIP_/, 'with the failing code');
  t.equal(err.lastSuccessAt, later.lastSuccessAt, 'the last success carried over');
  t.equal(err.instanceId, ok.instanceId, 'the same instance');
  t.same(Object.keys(err.writers), [ok.instanceId], 'one writer');
  failing.signal('SIGTERM');
  await failing.exited;
});
