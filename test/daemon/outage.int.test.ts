/**
 * `promship run` through a bucket outage and with bad credentials, as an operator sees it: the
 * log lines (with error codes), the health line, /readyz, and the metrics tell that shipping is
 * stuck and why; the process keeps retrying instead of exiting; and once the bucket is back every
 * window ships and the lag drops.
 */
import { join } from 'node:path';
import t from 'tap';
import { bucketTarget } from '../helpers/bucket-targets.ts';
import { inspectBucket } from '../helpers/bucket-inspector.ts';
import { parseMetrics, startDaemon } from '../helpers/daemon.ts';
import { testSecret } from '../helpers/output-log.ts';
import { freePort } from '../helpers/prometheus.ts';
import { checkShipped } from '../helpers/shipped-checks.ts';
import { M, startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';
import { until } from '../helpers/until.ts';

const BLOCK = 15 * M;

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

t.test('the bucket goes away for several runs and comes back: every window ships, the outage is visible', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir, { scale: 2 });
  const target = await bucketTarget(t, 'fauxqs', join(dir, 'bucket'));
  const server = target.server!;
  const bucket = inspectBucket(t, target);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const daemon = startDaemon(t, {
    ...target.env,
    PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_BLOCK_DURATION: '15m',
    PROMSHIP_MAX_BACKFILL: '1d',
    PROMSHIP_SCHEDULE: '*/1 * * * * *',
    PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${port}`,
    PROMSHIP_HEALTH_LOG_INTERVAL: '1s',
    PROMSHIP_RETRY_BACKOFF: '1s',
    PROMSHIP_RETRY_BACKOFF_MAX: '2s',
    PROMSHIP_S3_MAX_ATTEMPTS: '2',
  });

  // The bucket goes away in the middle of the first run.
  await daemon.waitForLog((l) => l.msg === 'shipped block', 60_000, 'the first shipped block');
  await server.stop();
  const firstRun = await daemon.waitForLog((l) => l.msg === 'run finished', 120_000, 'the first run');
  t.ok(
    Number(firstRun.shipped) >= 1 && Number(firstRun.failed) >= 1,
    `the first run shipped ${String(firstRun.shipped)} and failed ${String(firstRun.failed)} windows`,
  );
  const windowFailed = daemon.logs.filter((l) => l.msg === 'window failed');
  t.equal(windowFailed.length, firstRun.failed, "one 'window failed' line per failed window");
  for (const l of windowFailed) {
    t.match(l.code, /^PROMSHIP_BUCKET_/, `window failed has a bucket error code (${String(l.code)})`);
    t.type(l.window, 'string');
    t.type(l.nextRetry, 'string');
  }
  await daemon.waitForLog((l) => l.msg === 'health' && l.status === 'degraded', 30_000, 'a degraded health line');

  // Further runs cannot even list the bucket.
  const runFailed = await daemon.waitForLog(
    () => daemon.logs.filter((l) => l.msg === 'run failed; retrying on the next schedule').length >= 3,
    60_000,
    "three 'run failed' lines",
  );
  t.match(runFailed.code, /^PROMSHIP_BUCKET_/, `run failed names the code (${String(runFailed.code)})`);
  t.match(String(runFailed.err), /127\.0\.0\.1|connect|ECONNREFUSED|unreachable/i, 'and the cause');
  const failing = await daemon.waitForLog(
    (l) => l.msg === 'health' && l.status === 'failing',
    30_000,
    'a failing health line',
  );
  t.ok(Number(failing.pending) >= 1, 'health shows pending windows');
  t.ok(
    Array.isArray(failing.failingWindows) && (failing.failingWindows as unknown[]).length >= 1,
    'health lists the failing windows',
  );
  const ready = await get(`${base}/readyz`);
  t.equal(ready.status, 503, '/readyz is 503 during the outage');
  t.match(ready.body, /bucket unreachable/);
  t.equal((await get(`${base}/healthz`)).status, 200, '/healthz stays 200: the process is alive and retrying');
  const during = parseMetrics((await get(`${base}/metrics`)).body);
  const runFailures = [...during]
    .filter(([k]) => k.startsWith('promship_run_failures_total{'))
    .reduce((n, [, v]) => n + v, 0);
  t.ok(runFailures >= 3, `promship_run_failures_total counts the failed runs (${runFailures})`);
  t.ok(
    [...during.keys()].some((k) => /^promship_window_failures_total\{reason="PROMSHIP_BUCKET_/.test(k)),
    'window failures by code',
  );
  t.ok((during.get('promship_pending_windows') ?? 0) >= 1, 'pending windows metric');
  t.equal(during.get('promship_dependency_up{dependency="bucket"}'), 0, 'bucket marked down');
  const lagDuring = during.get('promship_shipping_lag_seconds')!;
  const newestWindowEnd = Math.max(...source.windowsWithData(BLOCK)) + BLOCK;
  t.ok(
    lagDuring > (Date.now() - newestWindowEnd) / 1000 + BLOCK / 1000,
    `lag during the outage (${lagDuring}s) is behind the newest window with data`,
  );
  t.equal(daemon.child.exitCode, null, 'the agent keeps running');

  // Back: every window ships, the health and the lag recover.
  await server.start();
  const recovered = await daemon.waitForLog(
    (l) => l.msg === 'run finished' && l.failed === 0 && l.pending === 0 && Number(l.shipped) > 0,
    120_000,
    'a run that ships the rest',
  );
  t.ok(Number(recovered.shipped) >= 1);
  await daemon.waitForLog(
    (l) => l.msg === 'health' && l.status === 'ok' && l.pending === 0,
    30_000,
    'an ok health line',
  );
  const after = parseMetrics((await get(`${base}/metrics`)).body);
  const lagAfter = after.get('promship_shipping_lag_seconds')!;
  t.ok(
    Math.abs(lagAfter - (Date.now() - newestWindowEnd) / 1000) < 120,
    `lag after recovery (${lagAfter}s) is now minus the newest window's end`,
  );
  t.equal(after.get('promship_pending_windows'), 0);
  // /readyz caches its checks for a few seconds.
  await until('/readyz 200', async () => ((await get(`${base}/readyz`)).status === 200 ? true : undefined), 30_000);

  daemon.signal('SIGTERM');
  t.equal(await daemon.exited, 0);
  await checkShipped(t, bucket, source, { blockMs: BLOCK, dir });
  t.comment(
    `first run: shipped ${String(firstRun.shipped)}, failed ${String(firstRun.failed)}; lag during ${Math.round(lagDuring)}s, after ${Math.round(lagAfter)}s; run failures ${runFailures}`,
  );
});

t.test('wrong credentials: one clear line per run, /readyz 503, and the agent keeps retrying', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir, { windows: 1 });
  const target = await bucketTarget(t, 's3rver', join(dir, 'bucket'));
  const secret = testSecret('wrong-secret');
  const port = await freePort();
  const daemon = startDaemon(t, {
    ...target.env,
    // s3rver knows only the key id S3RVER.
    AWS_ACCESS_KEY_ID: 'AKIAPROMSHIPWRONGKEY',
    AWS_SECRET_ACCESS_KEY: secret,
    PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_MAX_BACKFILL: '1d',
    PROMSHIP_SCHEDULE: '*/1 * * * * *',
    PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${port}`,
    PROMSHIP_HEALTH_LOG_INTERVAL: '1s',
  });
  await daemon.waitForLog(
    () => daemon.logs.filter((l) => l.msg === 'run failed; retrying on the next schedule').length >= 3,
    60_000,
    "three 'run failed' lines",
  );
  const lines = daemon.logs.filter((l) => l.msg === 'run failed; retrying on the next schedule');
  for (const l of lines) {
    t.equal(l.code, 'PROMSHIP_BUCKET_ACCESS_DENIED', 'access denied code');
    t.match(String(l.err), /InvalidAccessKeyId|403|denied/i, 'the line says the credentials were refused');
  }
  t.equal(
    daemon.logs.filter((l) => l.msg === 'window failed').length,
    0,
    'no window is attempted without a readable bucket',
  );
  const ready = await get(`http://127.0.0.1:${port}/readyz`);
  t.equal(ready.status, 503, `/readyz 503 (${ready.body.trim().slice(0, 200)})`);
  await daemon.waitForLog((l) => l.msg === 'health' && l.status === 'failing', 30_000, 'a failing health line');
  t.equal(daemon.child.exitCode, null, 'the agent does not exit');
  daemon.signal('SIGTERM');
  t.equal(await daemon.exited, 0);
  t.notOk(daemon.output().includes(secret), 'the secret key is in no output');
  t.notOk(daemon.output().includes('AKIAPROMSHIPWRONGKEY'), 'nor the access key id');
});
