/**
 * `promship run` as a pod runs it: ships every complete window on its schedule, reports upload
 * health in logs and metrics, answers its probes, and stops cleanly on SIGTERM.
 */
import { join } from 'node:path';
import t from 'tap';
import { bucketTarget } from '../helpers/bucket-targets.ts';
import { inspectBucket } from '../helpers/bucket-inspector.ts';
import { metricsWhen, startDaemon } from '../helpers/daemon.ts';
import { freePort } from '../helpers/prometheus.ts';
import { checkShipped } from '../helpers/shipped-checks.ts';
import { H, startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('promship run ships on its schedule, reports health and stops cleanly', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir);
  const target = await bucketTarget(t, 's3rver', join(dir, 'bucket'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;

  const daemon = startDaemon(t, {
    ...target.env,
    PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_MAX_BACKFILL: '1d',
    PROMSHIP_SCHEDULE: '*/2 * * * * *',
    PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${port}`,
    PROMSHIP_HEALTH_LOG_INTERVAL: '1s',
  });

  const windows = source.windowsWithData(2 * H);
  const first = await daemon.waitForLog((l) => l.msg === 'run finished', 60_000, 'the first run');
  t.equal(first.shipped, windows.size, 'the first run ships every window with data');
  t.equal(first.failed, 0, `no window failed ${JSON.stringify(daemon.logs.filter((l) => l.msg === 'window failed'))}`);

  const shippedLines = daemon.logs.filter((l) => l.msg === 'shipped block');
  t.equal(shippedLines.length, windows.size, 'one log line per block');
  for (const l of shippedLines) {
    t.equal(l.cluster, 'cluster-two');
    for (const k of ['window', 'ulid', 'series', 'samples', 'bytes', 'durationMs', 'lagSeconds'])
      t.ok(k in l, `shipped block line has ${k}`);
  }

  const health = await daemon.waitForLog((l) => l.msg === 'health' && l.status === 'ok', 20_000, 'a health line');
  t.equal(health.pending, 0);
  t.type(health.lagSeconds, 'number');

  t.equal((await fetch(`${base}/healthz`)).status, 200, '/healthz');
  const ready = await fetch(`${base}/readyz`);
  t.equal(ready.status, 200, `/readyz (${await ready.text()})`);

  const metrics = await metricsWhen(`${base}/metrics`, (m) => m.get('promship_blocks_shipped_total') === windows.size);
  t.equal(metrics.get('promship_blocks_shipped_total'), windows.size);
  t.equal(
    metrics.get('promship_uploaded_samples_total'),
    source.dump.length,
    'samples metric counts every source sample',
  );
  t.ok((metrics.get('promship_uploaded_bytes_total') ?? 0) > 0);
  t.equal(metrics.get('promship_pending_windows'), 0);
  t.ok((metrics.get('promship_last_success_timestamp_seconds') ?? 0) > Date.now() / 1000 - 120);
  const lag = metrics.get('promship_shipping_lag_seconds')!;
  t.ok(
    Math.abs(lag - (Date.now() - source.dataEnd) / 1000) < 120,
    `lag ${lag}s is now minus the end of the newest window`,
  );
  t.ok(metrics.has('process_resident_memory_bytes'), 'process metrics are exported');
  t.ok(metrics.has('promship_run_duration_seconds_count'));

  // Later runs find nothing new to ship.
  const runsBefore = daemon.logs.filter((l) => l.msg === 'run finished').length;
  const later = await daemon.waitForLog(
    (l) => l.msg === 'run finished' && daemon.logs.filter((x) => x.msg === 'run finished').length > runsBefore,
    30_000,
    'a later run',
  );
  t.equal(later.shipped, 0, 'nothing is shipped twice');

  daemon.signal('SIGTERM');
  t.equal(await daemon.exited, 0, 'SIGTERM stops with exit code 0');
  t.ok(daemon.logs.some((l) => l.msg === 'stopped'));

  const { snap } = await checkShipped(t, inspectBucket(t, target), source, { blockMs: 2 * H, dir });
  t.equal(snap.blocks.length, windows.size, 'one block directory per window, none partial');
});
