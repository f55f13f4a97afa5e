/**
 * A run that cannot start for a reason of its own (here a data dir below a regular file) must not
 * blame Prometheus, which answers: promship_dependency_up{dependency="prometheus"} stayed 0 and
 * /readyz said it was still connecting to Prometheus, sending an operator to the wrong place.
 * Prometheus is Debian's, with an empty database.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { parseMetrics, startDaemon } from '../helpers/daemon.ts';
import { freePort, startPrometheus } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('a data dir that cannot be made is not reported as Prometheus being down', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'a-file'), 'x');
  const prometheus = await startPrometheus({ dataDir: join(dir, 'prometheus'), externalLabels: { cluster_id: 'c1' } });
  t.teardown(() => prometheus.stop());
  const port = await freePort();
  const daemon = startDaemon(t, {
    PROMSHIP_PROMETHEUS_URL: prometheus.url,
    PROMSHIP_BUCKET: `file://${join(dir, 'bucket')}`,
    PROMSHIP_DATA_DIR: join(dir, 'a-file', 'data'),
    PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${port}`,
  });
  const line = await daemon.waitForLog((l) => l.msg === 'cannot start shipping yet', 60_000);
  t.match(String(line.err), /ENOTDIR/, 'the run failed on the data dir');
  const metrics = parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  t.not(metrics.get('promship_dependency_up{dependency="prometheus"}'), 0, 'Prometheus is not marked down');
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
  const detail = (await ready.text()).trim();
  t.equal(ready.status, 503, 'not ready');
  t.notMatch(detail, /Prometheus/, `/readyz does not blame Prometheus: ${detail}`);
  t.match(detail, /ENOTDIR/, 'it names the failure');
  daemon.signal('SIGTERM');
  await daemon.exited;
});
