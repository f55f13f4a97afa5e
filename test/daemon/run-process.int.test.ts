/**
 * `promship run` ships each run from a process of its own. What the operator relies on:
 * - a run process that dies (e.g. OOM-killed) fails only that run: the agent says so in its log
 *   and metrics, keeps its schedule, and the next run ships what was left, with no overlap;
 * - each run process ends with its run, and none outlives the agent, even one forked just
 *   before the agent was killed;
 * - a run's peak memory is exported, since the agent's own process metrics no longer show it.
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { bucketTarget } from '../helpers/bucket-targets.ts';
import { inspectBucket } from '../helpers/bucket-inspector.ts';
import { childPids as childrenOf, isAlive, metricsWhen, startDaemon } from '../helpers/daemon.ts';
import { freePort } from '../helpers/prometheus.ts';
import { checkShipped } from '../helpers/shipped-checks.ts';
import { M, startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';
import { until } from '../helpers/until.ts';
import { nodeCommand } from '../helpers/node-command.ts';

const BLOCK = 15 * M;

t.test('a run process killed mid-run fails that run only; the next run ships the rest', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir, { scale: 2 });
  const target = await bucketTarget(t, 's3rver', join(dir, 'bucket'));
  const bucket = inspectBucket(t, target);
  const port = await freePort();
  const daemon = startDaemon(t, {
    ...target.env,
    PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_BLOCK_DURATION: '15m',
    PROMSHIP_MAX_BACKFILL: '1d',
    PROMSHIP_SCHEDULE: '*/1 * * * * *',
    PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${port}`,
  });
  const agentPid = daemon.child.pid!;

  // Killed as the kernel's OOM killer would: SIGKILL, in the middle of shipping.
  await daemon.waitForLog((l) => l.msg === 'shipped block', 60_000, 'the first shipped block');
  const [runPid] = await until('a run process', async () => {
    const kids = await childrenOf(agentPid);
    return kids.length > 0 ? kids : undefined;
  });
  process.kill(runPid!, 'SIGKILL');

  const failed = await daemon.waitForLog(
    (l) => l.msg === 'run failed; retrying on the next schedule',
    30_000,
    "a 'run failed' line",
  );
  t.equal(failed.code, 'PROMSHIP_RUN_CRASHED', 'the line names the crash code');
  t.match(String(failed.err), /SIGKILL/, 'and how the run process ended');
  t.equal(daemon.child.exitCode, null, 'the agent keeps running');

  const recovered = await daemon.waitForLog(
    (l) => l.msg === 'run finished' && l.failed === 0 && l.pending === 0,
    120_000,
    'a run with nothing left',
  );
  t.ok(recovered, 'a later run finishes with nothing pending');
  // The run logs 'run finished' before it reports to the agent: wait for the report.
  const metrics = await metricsWhen(
    `http://127.0.0.1:${port}/metrics`,
    (m) => (m.get('promship_runs_total{result="success"}') ?? 0) >= 1,
  );
  t.equal(
    metrics.get('promship_run_failures_total{reason="PROMSHIP_RUN_CRASHED"}'),
    1,
    'the crash is counted by its code',
  );
  const peak = metrics.get('promship_run_peak_rss_bytes') ?? 0;
  t.ok(peak > 20 * 2 ** 20 && peak < 2 ** 30, `a run's peak RSS is exported (${(peak / 2 ** 20).toFixed(0)} MiB)`);

  // A run's process ends with the run: the agent never holds two, and each one seen goes away.
  // (With a run every second, a gap with no child at all may be too short to catch on a busy machine.)
  const seen = new Set<number>();
  let most = 0;
  await until(
    'three run processes to come and go',
    async () => {
      const kids = await childrenOf(agentPid);
      most = Math.max(most, kids.length);
      for (const pid of kids) seen.add(pid);
      return seen.size >= 3 ? true : undefined;
    },
    120_000,
    10,
  );
  t.ok(most <= 1, `at most one run process at a time (saw ${most})`);
  const [firstSeen] = seen;
  t.notOk(await isAlive(firstSeen!), `run process ${firstSeen} is gone once the next runs came`);

  // Killed itself, the agent takes its run with it: no orphan goes on shipping.
  const running = await until('a run process', async () => {
    const kids = await childrenOf(agentPid);
    return kids.length > 0 ? kids : undefined;
  });
  daemon.signal('SIGKILL');
  await daemon.exited;
  for (const pid of running)
    await until(
      `run process ${pid} to end with the agent`,
      async () => ((await isAlive(pid)) ? undefined : true),
      10_000,
    );
  t.pass(`run process${running.length > 1 ? 'es' : ''} ${running.join(', ')} ended with the agent`);

  await checkShipped(t, bucket, source, { blockMs: BLOCK, dir });
});

t.test('a run whose agent dies before the run has even loaded never ships', async (t) => {
  // The agent can be killed in the instant after it forked a run (a pod dying between two
  // runs): the run then learns of it while still loading its modules, before any handler of
  // the run's own could be in place. It must still end instead of shipping next to a new agent.
  const dir = await tempDir(t);
  const source = await startSource(t, dir, { scale: 1 });
  const bucketDir = join(dir, 'bucket');
  const runProcess = fileURLToPath(new URL('../../src/daemon/run-process.ts', import.meta.url));
  const agent = `
    const { fork } = require('node:child_process');
    const run = fork(${JSON.stringify(runProcess)}, ['first'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    process.stdout.write('run pid ' + run.pid + '\\n', () => process.kill(process.pid, 'SIGKILL'));
  `;
  const [bin, ...args] = nodeCommand(['-e', agent]);
  const parent = spawn(bin, args, {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
      PROMSHIP_BUCKET: `file://${bucketDir}`,
      PROMSHIP_DATA_DIR: join(dir, 'data'),
      PROMSHIP_BLOCK_DURATION: '15m',
      PROMSHIP_MAX_BACKFILL: '1d',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
  parent.stderr.on('data', (d: Buffer) => (out += d.toString()));
  // The run holds the same pipes: they close when the last of the two has ended.
  const pipesClosed = new Promise<void>((resolve) => parent.stdout.on('close', () => resolve()));
  const runPid = Number(await until('the run pid', async () => /run pid (\d+)/.exec(out)?.[1]));
  await until(`run process ${runPid} to end`, async () => ((await isAlive(runPid)) ? undefined : true), 30_000);
  await pipesClosed;
  t.equal(out.replace(/run pid \d+\n/, ''), '', 'the run printed nothing: it ended before starting');
  const shipped = await readdir(bucketDir).catch(() => [] as string[]);
  t.same(shipped, [], 'and wrote nothing to the bucket');
});
