/**
 * The agent's scheduled runs and `promship once` started by hand in the same pod (`kubectl exec
 * deploy/promship -- promship once`) share the data dir, and never ship at the same time: a
 * scheduled run that finds `once` shipping skips its turn, says so in the log and the metrics,
 * and is no failed run; the agent ships on as soon as `once` is done. Judged by the bucket.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import t from 'tap';
import { bucketTarget } from '../helpers/bucket-targets.ts';
import { inspectBucket } from '../helpers/bucket-inspector.ts';
import { CLI_ARGS } from '../helpers/cli.ts';
import { metricsWhen, startDaemon } from '../helpers/daemon.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import { freePort } from '../helpers/prometheus.ts';
import { checkShipped } from '../helpers/shipped-checks.ts';
import { M, startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';
import { nodeCommand } from '../helpers/node-command.ts';

const BLOCK = 15 * M;
const SKIPPED = 'run skipped: another run is shipping from the data dir';

t.test('a scheduled run while `promship once` is shipping skips its turn, visibly, and fails nothing', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir);
  // Remote reads held back, so that `once` is still shipping when the agent's runs come.
  const proxy = await startFaultProxy(t, source.prometheus.url);
  proxy.delayReadsMs = 400;
  const target = await bucketTarget(t, 's3rver', join(dir, 'bucket'));
  const bucket = inspectBucket(t, target);
  const port = await freePort();
  const env = {
    ...target.env,
    PROMSHIP_PROMETHEUS_URL: proxy.url,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_BLOCK_DURATION: '15m',
    PROMSHIP_MAX_BACKFILL: '1d',
    PROMSHIP_SCHEDULE: '*/1 * * * * *',
    PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${port}`,
  };

  const [bin, ...args] = nodeCommand([...CLI_ARGS, 'once']);
  const manual = spawn(bin, args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => void manual.kill('SIGKILL'));
  const manualExit = once(manual, 'exit');
  let manualOut = '';
  await new Promise<void>((resolve, reject) => {
    manual.stdout.on('data', (d: Buffer) => {
      manualOut += d.toString();
      if (manualOut.includes('"shipped block"')) resolve();
    });
    manual.once('exit', () => reject(new Error(`once ended before shipping a block: ${manualOut}`)));
  });

  const daemon = startDaemon(t, env);
  // The first thing the agent's first run does after learning the identity: skip, or (without
  // the lock) ship beside `once`.
  const first = await daemon.waitForLog(
    (l) => l.msg === SKIPPED || l.msg === 'shipped block' || l.msg === 'run finished',
    60_000,
    'the first run',
  );
  t.equal(first.msg, SKIPPED, 'the agent did not ship beside `once`');
  t.equal(first.code, 'PROMSHIP_RUN_LOCKED');
  t.equal(first.holderPid, manual.pid, 'the line names the PID of `once`');
  t.equal(first.level, 40, 'at warn');
  t.match(String(first.err), /`promship once`, PID \d+/);
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const during = await metricsWhen(metricsUrl, (m) => (m.get('promship_runs_total{result="skipped"}') ?? 0) >= 1);
  t.ok((during.get('promship_runs_total{result="skipped"}') ?? 0) >= 1, 'counted as a skipped run');
  t.same(
    [...during.keys()].filter((k) => k.startsWith('promship_run_failures_total{')),
    [],
    'not as a failed one',
  );
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
  t.equal(ready.status, 200, `and the agent is ready (${await ready.text()})`);

  const [code] = (await manualExit) as [number | null];
  // Its log says why, if it failed.
  t.equal(code, 0, '`once` shipped undisturbed', {
    log: code === 0 ? undefined : manualOut.split('\n').filter((l) => !l.includes('"level":30')),
  });
  proxy.delayReadsMs = 0;
  const quiet = await daemon.waitForLog(
    (l) => l.msg === 'run finished' && l.failed === 0 && l.pending === 0,
    120_000,
    'a run of the agent after `once`',
  );
  t.equal(quiet.shipped, 0, 'the agent found everything shipped by `once`');
  t.equal(daemon.logs.filter((l) => l.msg === 'shipped block').length, 0, 'the agent shipped no block of its own');
  t.equal(daemon.logs.filter((l) => l.msg === 'run failed; retrying on the next schedule').length, 0, 'no run failed');
  daemon.signal('SIGTERM');
  t.equal(await daemon.exited, 0);

  await checkShipped(t, bucket, source, { blockMs: BLOCK, dir });
});
