/**
 * `promship run` with a PROMSHIP_LISTEN_ADDRESS it cannot listen on (a port in use, an address
 * of no interface here) stops at start like any wrong setting: exit 2 and one line naming the
 * setting. It exited 1 with Node's own message, and only once its first run, already started,
 * had ended: with a Prometheus that does not answer (here a node:http server that takes each
 * request and sends nothing, with a 10-minute timeout), not before the test's 60 s limit.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

t.setTimeout(60_000);

t.test('an address promship cannot listen on is a wrong setting', async (t) => {
  const dir = await tempDir(t);
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    silent.closeAllConnections();
    silent.close();
  });
  const taken = (silent.address() as AddressInfo).port;
  for (const address of [`127.0.0.1:${taken}`, '192.0.2.1:18080']) {
    const res = await runCli(['run'], {
      PROMSHIP_PROMETHEUS_URL: `http://127.0.0.1:${taken}`,
      PROMSHIP_PROMETHEUS_TIMEOUT: '10m',
      PROMSHIP_BUCKET: `file://${join(dir, 'bucket')}`,
      PROMSHIP_DATA_DIR: join(dir, 'data'),
      PROMSHIP_CLUSTER_ID: 'c1',
      PROMSHIP_LISTEN_ADDRESS: address,
    });
    t.equal(res.code, 2, `${address}: exit 2 (${res.stderr.trim()})`);
    t.match(res.stderr, new RegExp(`invalid PROMSHIP_LISTEN_ADDRESS: cannot listen on ${address} \\(E[A-Z]+\\)`));
  }
});
