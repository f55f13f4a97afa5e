/**
 * SIGTERM (Kubernetes gives the pod 30 s after it) while a run is still asking Prometheus who the
 * cluster is, and Prometheus does not answer. The run's stop signal did not reach that question,
 * so the run, and the agent waiting for it, waited out PROMSHIP_PROMETHEUS_TIMEOUT (5m by
 * default) and the pod was killed. Here the timeout is 10 minutes: the agent must stop long
 * before it, by the test's own 60 s limit, and say so. The Prometheus that never answers is a
 * node:http server that takes each request and sends nothing.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { startDaemon } from '../helpers/daemon.ts';
import { freePort } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';
import { until } from '../helpers/until.ts';

t.setTimeout(60_000);

t.test('SIGTERM stops the agent while Prometheus does not answer', async (t) => {
  const dir = await tempDir(t);
  const requests: string[] = [];
  const silent = createServer((req) => void requests.push(req.url ?? ''));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    silent.closeAllConnections();
    silent.close();
  });
  const daemon = startDaemon(t, {
    PROMSHIP_PROMETHEUS_URL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
    PROMSHIP_PROMETHEUS_TIMEOUT: '10m',
    PROMSHIP_BUCKET: `file://${join(dir, 'bucket')}`,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_CLUSTER_ID: 'c1',
    PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${await freePort()}`,
  });
  await until('the run to ask Prometheus', () => Promise.resolve(requests.length > 0 ? true : undefined), 30_000);
  daemon.signal('SIGTERM');
  t.equal(await daemon.exited, 0, 'the agent exits 0');
  t.ok(
    daemon.logs.some((l) => l.msg === 'stopped'),
    'and says it stopped',
  );
});
