/**
 * externalLabels(): Prometheus' global.external_labels from /api/v1/status/config.
 */
import t from 'tap';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import { startPrometheus } from '../helpers/prometheus.ts';
import { startFakeServer } from '../helpers/remote-read-wire.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('from real Prometheus', async (t) => {
  const dir = await tempDir(t);
  const prometheus = await startPrometheus({
    dataDir: `${dir}/data`,
    externalLabels: { cluster_id: 'c1', region: 'eu-west-1', a_first: 'x' },
  });
  t.teardown(() => prometheus.stop());
  const client = new RemoteReadClient({ url: prometheus.url, timeoutMs: 10_000 });
  t.teardown(() => client.close());
  t.same(await client.externalLabels(), [
    ['a_first', 'x'],
    ['cluster_id', 'c1'],
    ['region', 'eu-west-1'],
  ]);
});

t.test('a Prometheus without external labels', async (t) => {
  const dir = await tempDir(t);
  const prometheus = await startPrometheus({ dataDir: `${dir}/data` });
  t.teardown(() => prometheus.stop());
  const client = new RemoteReadClient({ url: prometheus.url, timeoutMs: 10_000 });
  t.teardown(() => client.close());
  t.same(await client.externalLabels(), []);
});

t.test('an answer that is not Prometheus configuration', async (t) => {
  for (const body of ['<html>login</html>', '{"status":"success","data":{}}', '{"data":{"yaml":"global: [1, 2"}}']) {
    const server = await startFakeServer(t, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    const client = new RemoteReadClient({ url: server.url, timeoutMs: 5000 });
    await t.rejects(client.externalLabels(), { code: 'PROMSHIP_REMOTE_READ_CONFIG', message: /status\/config/ }, body);
    await client.close();
  }
});

t.test('an HTTP error', async (t) => {
  const server = await startFakeServer(t, (_req, res) => {
    res.writeHead(403);
    res.end('forbidden');
  });
  const client = new RemoteReadClient({ url: server.url, timeoutMs: 5000 });
  t.teardown(() => client.close());
  await t.rejects(client.externalLabels(), {
    code: 'PROMSHIP_REMOTE_READ_HTTP',
    status: 403,
    message: /403: "forbidden"/,
  });
});
