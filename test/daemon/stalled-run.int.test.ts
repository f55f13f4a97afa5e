/**
 * A run held by a dependency that answers, but a byte at a time and never to the end, so that no
 * idle timeout fires: no later run can start, and the agent must say so instead of reporting
 * ready and healthy while nothing ships. Here Prometheus' config endpoint is a node:http server
 * that sends a space every 200 ms and never finishes; Prometheus' timeout is 2 s and the schedule
 * fires every second, so a run that ends no window for 4 s counts as stalled. SIGTERM still
 * stops the agent.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { startDaemon } from '../helpers/daemon.ts';
import { freePort } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';
import { until } from '../helpers/until.ts';

t.setTimeout(90_000);

t.test('a run that makes no progress makes the agent not ready and failing', async (t) => {
  const dir = await tempDir(t);
  const timers = new Set<NodeJS.Timeout>();
  const dripping = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"status":"success","data":{"yaml":"');
    const timer = setInterval(() => res.write(' '), 200);
    timers.add(timer);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => dripping.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const timer of timers) clearInterval(timer);
    dripping.closeAllConnections();
    dripping.close();
  });
  const port = await freePort();
  const daemon = startDaemon(t, {
    PROMSHIP_PROMETHEUS_URL: `http://127.0.0.1:${(dripping.address() as AddressInfo).port}`,
    PROMSHIP_PROMETHEUS_TIMEOUT: '2s',
    PROMSHIP_SCHEDULE: '* * * * * *',
    PROMSHIP_HEALTH_LOG_INTERVAL: '1s',
    PROMSHIP_BUCKET: `file://${join(dir, 'bucket')}`,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_CLUSTER_ID: 'c1',
    PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${port}`,
  });
  const detail = await until(
    '/readyz to report the stalled run',
    async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      const text = res === undefined ? '' : await res.text();
      return res?.status === 503 && /ended no window for \d+ s/.test(text) ? text.trim() : undefined;
    },
    60_000,
  );
  t.match(detail, /^not ready: the run in progress has ended no window for \d+ s \(more than 4 s\)/);
  const health = await daemon.waitForLog((l) => l.msg === 'health' && typeof l.stalled === 'string', 30_000);
  t.equal(health.status, 'failing', `the health line says failing: ${JSON.stringify(health)}`);
  daemon.signal('SIGTERM');
  t.equal(await daemon.exited, 0, 'and SIGTERM still stops the agent');
});
