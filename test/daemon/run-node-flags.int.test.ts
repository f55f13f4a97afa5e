/**
 * Node obeys the runs' flags given either way the project gives them (the agent's fork puts them
 * on the command line, the image in NODE_OPTIONS): under the same allocation churn, V8's young
 * generation stays at the size they set instead of growing to its default.
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { RUN_NODE_FLAGS } from '../../src/daemon/run-node-flags.ts';

// Short-lived objects, some surviving a while (as a window's stream makes them), then V8's answer.
const CHURN = `
let keep = [];
for (let i = 0; i < 3e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 50000) keep = []; }
const s = require('v8').getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
console.log(s.space_size);`;

function youngGenerationMiB(args: readonly string[], nodeOptions: string | undefined): number {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  if (nodeOptions !== undefined) env.NODE_OPTIONS = nodeOptions;
  const r = spawnSync(process.execPath, [...args, '-e', CHURN], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  return Number(r.stdout.trim()) / 2 ** 20;
}

t.test('the young generation is as small as the flags say, on the command line or in NODE_OPTIONS', async (t) => {
  const semi = Number(/--max-semi-space-size=(\d+)/.exec(RUN_NODE_FLAGS.join(' '))?.[1]);
  t.ok(semi > 0, `the flags set the semi-space size (${semi} MiB)`);
  const plain = youngGenerationMiB([], undefined);
  t.ok(plain > 2 * semi, `without the flags it grows past that (${plain} MiB)`);
  t.ok(youngGenerationMiB(RUN_NODE_FLAGS, undefined) <= 2 * semi, 'on the command line');
  t.ok(youngGenerationMiB([], RUN_NODE_FLAGS.join(' ')) <= 2 * semi, 'in NODE_OPTIONS');
});
