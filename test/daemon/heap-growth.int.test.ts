/**
 * On Node 20 the processes that ship windows cap how far V8 grows their heap (src/daemon/heap-growth.ts),
 * with a flag set at run time as they start: V8 obeys it then, and `promship once` and the agent's
 * run process set it before their modules load, while the agent does not and an operator's own
 * value stops it. From Node 22 on none of them sets it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { HEAP_GROWTH_FLAG } from '../../src/daemon/heap-growth.ts';
import { RUN_NODE_FLAGS } from '../../src/daemon/run-node-flags.ts';
import { CLI_ARGS } from '../helpers/cli.ts';
import { freePort } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';

// A long-lived set, then batches of objects that live long enough to reach the old generation
// (with the runs' small young generation, src/daemon/run-node-flags.ts); prints the most heap V8
// committed meanwhile.
const CHURN = `
const live = [];
for (let i = 0; i < 100000; i++) live.push({ a: i, b: 'x' + i, c: [i] });
const keep = [];
let most = 0;
for (let r = 0; r < 4000; r++) {
  const batch = [];
  for (let i = 0; i < 2000; i++) batch.push({ i, s: 'y' + i, arr: [i, r] });
  keep.push(batch);
  if (keep.length > 20) keep.shift();
  most = Math.max(most, process.memoryUsage().heapTotal);
}
console.log(most, live.length);`;

function committedMiB(setFirst: string | undefined): number {
  const code =
    setFirst === undefined ? CHURN : `require('v8').setFlagsFromString(${JSON.stringify(setFirst)});${CHURN}`;
  const r = spawnSync(process.execPath, [...RUN_NODE_FLAGS, '-e', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  return Number(r.stdout.split(' ')[0]) / 2 ** 20;
}

t.test('V8 obeys the cap when it is set at run time', async (t) => {
  const dynamic = committedMiB(undefined);
  const capped = committedMiB(HEAP_GROWTH_FLAG);
  t.ok(
    capped < 0.8 * dynamic,
    `under the same churn: ${capped.toFixed(0)} MiB capped, ${dynamic.toFixed(0)} MiB without`,
  );
});

const PRELOAD = fileURLToPath(new URL('../helpers/v8-flags-preload.cjs', import.meta.url));
const RUN_PROCESS =
  CLI_ARGS.length === 1
    ? [join(CLI_ARGS[0]!, '..', 'run-process.js')]
    : ['--import', 'tsx', fileURLToPath(new URL('../../src/daemon/run-process.ts', import.meta.url))];

t.test(
  'on Node 20 once and the run process set it first thing; the agent does not; an operator value wins',
  async (t) => {
    const dir = await tempDir(t);
    const listen = `127.0.0.1:${await freePort()}`;
    let n = 0;
    /** The V8 flags a process started with `args` set at run time (it stops on the missing configuration). */
    const flagsSet = (nodeFlags: string[], args: readonly string[]): { flags: string; httpLoaded: boolean }[] => {
      const file = join(dir, `flags-${n++}`);
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, V8_FLAGS_FILE: file, PROMSHIP_LISTEN_ADDRESS: listen };
      const r = spawnSync(process.execPath, [...nodeFlags, '--require', PRELOAD, ...args], {
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      t.equal(
        r.status,
        2,
        `${args.slice(-2).join(' ')}: exit 2 without a configuration (${r.stderr.trim().slice(0, 200)})`,
      );
      const recorded = JSON.parse(readFileSync(file, 'utf8')) as {
        set: { flags: string; httpLoaded: boolean }[];
        httpLoadedAtExit: boolean;
      };
      // The probe sees the heavy modules once they are in: the command line loads node:http.
      t.ok(recorded.httpLoadedAtExit, 'node:http was loaded by the exit');
      return recorded.set;
    };
    // `npm run test:all` runs this file on Node 20 and on Node 22, where the cap is not set at all.
    const first =
      Number(process.versions.node.split('.')[0]) < 22 ? [{ flags: HEAP_GROWTH_FLAG, httpLoaded: false }] : [];
    t.same(flagsSet([], [...CLI_ARGS, 'once']), first, 'once, before its modules load');
    t.same(flagsSet([], RUN_PROCESS), first, 'the run process, before its modules load');
    t.same(
      flagsSet([], [...CLI_ARGS, 'run']).map((s) => s.flags),
      ['--no-opt'],
      'the agent: only its own flag',
    );
    t.same(
      flagsSet(['--heap-growing-percent=50'], [...CLI_ARGS, 'once']),
      [],
      "once started with the operator's value",
    );
  },
);
