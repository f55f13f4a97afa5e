/**
 * `promship once` never ships beside another run of the same data dir, as when an operator runs
 * `kubectl exec deploy/promship -- promship once` twice, or while the agent is shipping: two runs
 * at once would both upload a block for the same window, and overlapping blocks halt the Thanos
 * compactor. Real processes against a real Prometheus (slowed down by a proxy, so that a run lasts
 * a few seconds) and a file bucket, judged by the blocks in the bucket and promtool.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, cp, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { firstDifference, readMeta, type MetaJson } from '../helpers/blocks.ts';
import { CLI_ARGS, logLines, runCli } from '../helpers/cli.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import { promtoolDump } from '../helpers/prometheus.ts';
import { M, startSource, type Source } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';
import { acquireRunLock } from '../../src/shipper/run-lock.ts';
import { nodeCommand } from '../helpers/node-command.ts';

/** `promship once`. */
const [ONCE, ...ONCE_ARGS] = nodeCommand([...CLI_ARGS, 'once']);

const BLOCK = 15 * M;
const LOCK_DIR = 'run.lock';

const dir = await tempDir(t);
const source = await startSource(t, dir);
// Each remote read held back a little: a run of ~22 windows takes several seconds.
const proxy = await startFaultProxy(t, source.prometheus.url);

let cases = 0;
function setup(): { env: Record<string, string>; bucketDir: string; dataDir: string } {
  const name = `case-${++cases}`;
  const bucketDir = join(dir, name, 'bucket');
  const dataDir = join(dir, name, 'data');
  return {
    bucketDir,
    dataDir,
    env: {
      PROMSHIP_PROMETHEUS_URL: proxy.url,
      PROMSHIP_BUCKET: `file://${bucketDir}`,
      PROMSHIP_DATA_DIR: dataDir,
      PROMSHIP_BLOCK_DURATION: '15m',
      PROMSHIP_MAX_BACKFILL: '1d',
    },
  };
}

/** Every block with a meta.json: exactly one per window with data, none overlapping, equal to the source. */
async function checkBucket(t: Test, bucketDir: string, src: Source): Promise<MetaJson[]> {
  const metas: MetaJson[] = [];
  for (const id of await readdir(bucketDir)) {
    if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) continue;
    if (
      await access(join(bucketDir, id, 'meta.json')).then(
        () => true,
        () => false,
      )
    )
      metas.push(await readMeta(join(bucketDir, id)));
  }
  metas.sort((a, b) => a.minTime - b.minTime);
  const overlaps: string[] = [];
  for (let i = 1; i < metas.length; i++)
    if (metas[i]!.minTime < metas[i - 1]!.maxTime) overlaps.push(`${metas[i - 1]!.ulid} / ${metas[i]!.ulid}`);
  t.same(overlaps, [], 'no two blocks overlap');
  t.same(
    metas.map((m) => m.minTime),
    [...src.windowsWithData(BLOCK)].sort((a, b) => a - b),
    'exactly one block per window with data',
  );
  const copy = join(bucketDir, '..', `copy-${Date.now()}`);
  await mkdir(copy, { recursive: true });
  for (const m of metas) await cp(join(bucketDir, m.ulid), join(copy, m.ulid), { recursive: true });
  const dump = await promtoolDump(copy);
  t.equal(firstDifference(src.dump, dump), undefined, 'promtool dump of the shipped blocks equals the source');
  return metas;
}

const lockEntries = (dataDir: string): Promise<string[]> => readdir(join(dataDir, LOCK_DIR)).catch(() => []);

t.test('two `promship once` at the same time: one ships, the other says who is shipping and exits 1', async (t) => {
  const { env, bucketDir, dataDir } = setup();
  proxy.delayReadsMs = 300;
  t.teardown(() => void (proxy.delayReadsMs = 0));
  const [a, b] = await Promise.all([runCli(['once'], env), runCli(['once'], env)]);
  const [winner, loser] = a.code === 0 ? [a, b] : [b, a];
  t.equal(winner.code, 0, `one run ships (stderr: ${winner.stderr.slice(0, 300)})`);
  t.equal(loser.code, 1, 'the other exits 1');
  t.ok(logLines(winner.stdout).filter((l) => l.msg === 'shipped block').length > 0, 'the winner shipped blocks');
  // The configuration is judged before the lock (a config error is exit 2 either way), so the
  // loser may say how it is configured; nothing about windows.
  t.same(
    logLines(loser.stdout)
      .map((l) => l.msg)
      .filter((m) => m !== 'promship configured'),
    [],
    'the loser logged nothing but its configuration',
  );
  const lines = loser.stderr.trimEnd().split('\n');
  t.equal(lines.length, 1, `one line on stderr: ${loser.stderr}`);
  t.match(
    lines[0],
    new RegExp(
      `^promship: another run is shipping from data dir ${dataDir}: \`promship once\`, PID ${winner.pid} since \\S+Z\\. .*wait for that run to end.* \\[PROMSHIP_RUN_LOCKED\\]$`,
    ),
    'the line names the winner and says what to do',
  );
  t.ok(loser.endedAt < winner.endedAt, 'the loser gave up while the winner was still shipping');
  await checkBucket(t, bucketDir, source);
  t.same(await readdir(dataDir).then((n) => n.includes(LOCK_DIR)), false, 'the winner let go of the lock');

  // Once the winner is done, a next `once` runs as usual, and finds nothing to ship.
  const next = await runCli(['once'], env);
  t.equal(next.code, 0);
  t.equal(logLines(next.stdout).filter((l) => l.msg === 'shipped block').length, 0, 'nothing left to ship');
});

t.test(
  '`promship once` killed with SIGKILL mid-run: the next one takes its lock over and ships the rest',
  async (t) => {
    const { env, bucketDir, dataDir } = setup();
    proxy.delayReadsMs = 300;
    const killed = spawn(ONCE, ONCE_ARGS, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(killed, 'exit');
    let out = '';
    await new Promise<void>((resolve, reject) => {
      killed.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('"shipped block"')) resolve();
      });
      killed.once('exit', () => reject(new Error(`once ended before shipping a block: ${out}`)));
    });
    killed.kill('SIGKILL');
    await exited;
    proxy.delayReadsMs = 0;
    t.match(
      await lockEntries(dataDir),
      [new RegExp(`^once\\.${killed.pid}\\.`)],
      'the killed run left its lock behind',
    );

    const next = await runCli(['once'], env);
    t.equal(next.code, 0, `the next run ships (stderr: ${next.stderr.slice(0, 300)})`);
    const took = logLines(next.stdout).find(
      (l) => l.msg === 'took over the run lock of a run that ended without letting go of it',
    );
    t.equal(took?.pid, killed.pid, 'and says whose lock it took over');
    t.ok(logLines(next.stdout).filter((l) => l.msg === 'shipped block').length > 0, 'it shipped the rest');
    await checkBucket(t, bucketDir, source);
    t.same(await lockEntries(dataDir), [], 'and let go of the lock');
  },
);

t.test('`promship once` stopped with Ctrl-C ends at once and lets go of the lock', async (t) => {
  const { env, dataDir } = setup();
  proxy.delayReadsMs = 300;
  t.teardown(() => void (proxy.delayReadsMs = 0));
  const child = spawn(ONCE, ONCE_ARGS, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  await new Promise<void>((resolve) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"shipped block"')) resolve();
    });
  });
  t.match(await lockEntries(dataDir), [new RegExp(`^once\\.${child.pid}\\.`)], 'held while shipping');
  child.kill('SIGINT');
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  t.same({ code, signal }, { code: null, signal: 'SIGINT' }, 'ended by the signal, as before');
  t.same(await lockEntries(dataDir), [], 'the lock was let go of');
});

t.test('a configuration error is exit 2 with its own line even while another run holds the lock', async (t) => {
  const { env, dataDir } = setup();
  await mkdir(dataDir, { recursive: true });
  const held = await acquireRunLock({ dataDir, command: 'run' });
  t.teardown(() => held.release());
  const { PROMSHIP_BUCKET: _bucket, ...noBucket } = env;
  const r = await runCli(['once'], noBucket);
  t.equal(r.code, 2, 'exit 2');
  t.match(r.stderr, /no bucket: set PROMSHIP_BUCKET/, 'the configuration problem, not the lock');
  t.notMatch(r.stderr, /another run is shipping/);
});
