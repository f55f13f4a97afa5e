/**
 * A window that failed waits out its backoff while the schedule keeps running. Those runs try
 * nothing, but the window is still failing: the health line, the run metrics and the last-success
 * time must keep saying so until the window ships, not report "ok" between two attempts.
 */
import { join } from 'node:path';
import t from 'tap';
import { metricsWhen, startDaemon } from '../helpers/daemon.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import { freePort } from '../helpers/prometheus.ts';
import { startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('runs that only wait for a failed window to be retried keep the agent degraded', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir, { windows: 1 });
  const proxy = await startFaultProxy(t, source.prometheus.url);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const daemon = startDaemon(t, {
    PROMSHIP_PROMETHEUS_URL: proxy.url,
    PROMSHIP_BUCKET: `file://${join(dir, 'bucket')}`,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_MAX_BACKFILL: '1d',
    PROMSHIP_SCHEDULE: '*/1 * * * * *',
    PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${port}`,
    PROMSHIP_HEALTH_LOG_INTERVAL: '1s',
    // Long enough for many runs to pass while the failed windows wait.
    PROMSHIP_RETRY_BACKOFF: '1h',
    PROMSHIP_RETRY_BACKOFF_MAX: '1h',
  });

  // Prometheus answers its config API (so the agent starts) but fails every remote read.
  proxy.failReads = true;
  const failedRun = await daemon.waitForLog(
    (l) => l.msg === 'run finished' && Number(l.failed) > 0,
    120_000,
    'a run with failed windows',
  );
  const failed = Number(failedRun.failed);
  proxy.failReads = false;

  // Later runs find every failed window still in its backoff and try nothing.
  const waiting = await daemon.waitForLog(
    (l) => l.msg === 'run finished' && l.failed === 0 && l.shipped === 0 && Number(l.pending) === failed,
    60_000,
    'a run that only waits for the retries',
  );
  const health = await daemon.waitForLog(
    (l) => l.msg === 'health' && daemon.logs.indexOf(l) > daemon.logs.indexOf(waiting),
    30_000,
    'a health line after that run',
  );
  t.equal(health.status, 'degraded', 'the health line stays degraded');
  t.equal((health.failingWindows as unknown[]).length, failed, 'and lists every window still failing');

  const metrics = await metricsWhen(
    `${base}/metrics`,
    (m) => (m.get('promship_runs_total{result="partial"}') ?? 0) >= 2,
  );
  t.equal(
    metrics.get('promship_runs_total{result="success"}') ?? 0,
    0,
    'no run counts as a success while windows are failing',
  );
  t.equal(metrics.get('promship_last_success_timestamp_seconds') ?? 0, 0, 'and no run as the last success');
  t.equal(metrics.get('promship_pending_windows'), failed, 'the failing windows are pending');

  daemon.signal('SIGTERM');
  t.equal(await daemon.exited, 0);
});
