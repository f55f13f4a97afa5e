import { join } from 'node:path';
import t from 'tap';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import { createBlocksFromOpenMetrics, promtoolDump, startPrometheus } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('lowestTimestamp is the oldest sample Prometheus holds', async (t) => {
  const dir = await tempDir(t);
  const start = Date.UTC(2026, 5, 1, 3, 17, 45);
  let om = '# TYPE m gauge\n';
  for (let i = 0; i < 500; i++) om += `m{i="${i % 3}"} ${i} ${(start + i * 30_000 + (i % 3) * 7000) / 1000}\n`;
  await createBlocksFromOpenMetrics(`${om}# EOF\n`, join(dir, 'data'));
  const oldest = Math.min(
    ...(await promtoolDump(join(dir, 'data'))).map((l) => Number(l.slice(l.lastIndexOf(' ') + 1))),
  );
  const prometheus = await startPrometheus({ dataDir: join(dir, 'data') });
  t.teardown(() => prometheus.stop());
  const client = new RemoteReadClient({ url: prometheus.url, timeoutMs: 10_000 });
  t.teardown(() => client.close());
  t.equal(await client.lowestTimestamp(), oldest);
});

t.test('lowestTimestamp of an unreachable Prometheus is a typed error', async (t) => {
  const client = new RemoteReadClient({ url: 'http://127.0.0.1:1', timeoutMs: 2000 });
  t.teardown(() => client.close());
  await t.rejects(client.lowestTimestamp(), { code: 'PROMSHIP_REMOTE_READ_CONNECT' });
});
