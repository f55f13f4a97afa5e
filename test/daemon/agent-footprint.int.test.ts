/**
 * The idle agent's footprint is set by what it loads and compiles, and what keeps it small is easy
 * to undo by a tidy-looking edit: TurboFan stays off in the agent (src/agent-v8-flags.ts); Node's
 * bundled undici is not loaded (an ES `import` of `node:http` on Node 22 loads it); Node's CommonJS
 * export lexer never runs (an ES `import` of pino or prom-client runs it, before TurboFan can be
 * turned off); and no store SDK is in it (the agent's runs open the bucket, not the agent). Judged
 * by V8's and Node's own answers, asked in the agent process by a preload. The memory itself is
 * measured by bench/idle-rss.ts, not here.
 */
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { RUN_ENV, RUN_NODE_FLAGS } from '../../src/daemon/run-node-flags.ts';
import { CLI_ARGS } from '../helpers/cli.ts';
import { startDaemon } from '../helpers/daemon.ts';
import { nodeCommand } from '../helpers/node-command.ts';
import { freePort, startPrometheus } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';
import { until } from '../helpers/until.ts';

const PRELOAD = new URL('../helpers/agent-state-preload.cjs', import.meta.url).pathname;

interface AgentState {
  pid: number;
  builtins: string[];
  /** The URL of every script V8 compiled in the agent, CommonJS or ES. */
  scripts: string[];
  turbofan: boolean | null;
}

/**
 * The files behind the scripts V8 compiled: a bundle's file (dist/) stands for every source its
 * source map lists, so a package bundled into a chunk the agent loads counts as loaded.
 */
async function originalSources(scripts: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const url of scripts) {
    if (!url.startsWith('file://')) continue;
    const file = fileURLToPath(url);
    files.push(file);
    const map = await readFile(`${file}.map`, 'utf8').catch(() => undefined);
    if (map === undefined) continue;
    const { sources } = JSON.parse(map) as { sources: string[] };
    files.push(...sources.map((s) => resolve(dirname(file), s)));
  }
  return files;
}

async function checkAgent(t: Test, node: string): Promise<void> {
  const dir = await tempDir(t);
  const prometheus = await startPrometheus({ dataDir: join(dir, 'prom'), externalLabels: { cluster_id: 'footprint' } });
  t.teardown(() => prometheus.stop());
  const stateFile = join(dir, 'agent-state.json');
  // The preload's TurboFan check, where nothing turned it off: it can say yes.
  const [bin, ...args] = nodeCommand(
    [
      '--allow-natives-syntax',
      '--require',
      PRELOAD,
      '-e',
      "process.kill(process.pid, 'SIGUSR2'); setTimeout(() => {}, 500)",
    ],
    node,
  );
  execFileSync(bin, args, { env: { AGENT_STATE_FILE: join(dir, 'control.json') } });
  const control = JSON.parse(await readFile(join(dir, 'control.json'), 'utf8')) as AgentState;
  t.equal(control.turbofan, true, 'a plain Node process optimises with TurboFan');

  const daemon = startDaemon(
    t,
    {
      AGENT_STATE_FILE: stateFile,
      PROMSHIP_PROMETHEUS_URL: prometheus.url,
      PROMSHIP_BUCKET: `file://${join(dir, 'bucket')}`,
      PROMSHIP_DATA_DIR: join(dir, 'data'),
      // Only the first run, at start: a yearly schedule. With a horizon under a day, promship
      // refuses such a schedule (windows would fall due between runs).
      PROMSHIP_MAX_BACKFILL: '2d',
      PROMSHIP_SCHEDULE: '0 0 1 1 *',
      PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${await freePort()}`,
    },
    nodeCommand(['--allow-natives-syntax', '--require', PRELOAD, ...CLI_ARGS, 'run'], node),
  );
  const finished = await daemon.waitForLog((l) => l.msg === 'run finished', 60_000, 'the first run');
  t.equal(finished.failed, 0, 'the first run finished without a failed window');

  daemon.signal('SIGUSR2');
  const state = await until(
    'the agent to write what it holds',
    async () => (JSON.parse(await readFile(stateFile, 'utf8').catch(() => 'null')) as AgentState | null) ?? undefined,
    10_000,
  );
  t.equal(state.pid, daemon.child.pid, 'written by the agent itself, not by one of its runs');

  t.equal(state.turbofan, false, 'TurboFan is off in the agent (src/agent-v8-flags.ts)');
  const run = await until(
    'the first run process to write its state',
    async () =>
      (JSON.parse(await readFile(`${stateFile}.run`, 'utf8').catch(() => 'null')) as {
        turbofan: boolean;
        execArgv: string[];
        env: Record<string, string>;
      } | null) ?? undefined,
    10_000,
  );
  t.equal(run.turbofan, true, 'run processes keep TurboFan: they do the work');
  for (const flag of RUN_NODE_FLAGS)
    t.ok(run.execArgv.includes(flag), `run processes start with ${flag} (src/daemon/run-node-flags.ts)`);
  for (const [name, value] of Object.entries(RUN_ENV))
    t.equal(run.env[name], value, `run processes start with ${name}=${value} (src/daemon/run-node-flags.ts)`);

  // The lists are live: what the agent does load is in them.
  const sources = await originalSources(state.scripts);
  const loaded = (pkg: string): string | undefined => sources.find((u) => u.includes(`/node_modules/${pkg}/`));
  t.ok(state.builtins.includes('NativeModule http'), 'node:http is loaded (it serves /metrics)');
  t.ok(loaded('prom-client'), 'prom-client is among the scripts V8 compiled');
  t.ok(loaded('pino'), 'pino is among the scripts V8 compiled');
  t.ok(
    sources.some((u) => u.endsWith('/src/daemon/daemon.ts')),
    "the agent's own modules are among them too",
  );

  t.notOk(
    state.builtins.find((m) => m.includes('deps/undici')),
    "Node's bundled undici is not loaded (import node:http with require(), see src/daemon/http-server.ts)",
  );
  const lexer = state.builtins.findIndex((m) => m.includes('cjs-module-lexer'));
  t.equal(lexer, -1, "Node's CommonJS export lexer never ran (load CommonJS packages with require(), see src/log.ts)", {
    loadedJustBefore: state.builtins.slice(Math.max(0, lexer - 6), lexer),
  });
  for (const pkg of ['@aws-sdk', '@smithy', '@azure', '@google-cloud', 'undici', 'protobufjs', 'snappy', 'zod'])
    t.notOk(loaded(pkg), `${pkg} is not in the agent (its runs load it)`);
}

t.test(
  'the idle agent runs without TurboFan and holds neither undici, nor the export lexer, nor a store SDK',
  async (t) => {
    if (CLI_ARGS[0] === '--import') {
      t.fail('this test judges the built agent, and the build is older than the source: run `npm run build` first');
      return;
    }
    await t.test(`on this Node (${process.version})`, (t) => checkAgent(t, process.execPath));
    // The image's Node, where an import of node:http loads undici.
    const node22 = execFileSync('bash', [new URL('../../scripts/node22.sh', import.meta.url).pathname], {
      encoding: 'utf8',
    }).trim();
    if (realpathSync(node22) !== realpathSync(process.execPath))
      await t.test("on Node 22, the image's", (t) => checkAgent(t, node22));
  },
);
