/**
 * Preloaded (`node --require`) into `promship run` by test/daemon/agent-footprint.int.test.ts, and
 * so into its run processes too (they start with the agent's Node flags).
 * - In the agent, on SIGUSR2, it writes to the file named by $AGENT_STATE_FILE what Node and V8
 *   say this process holds: its built-in modules (`process.moduleLoadList`), the URL of every
 *   script V8 has compiled, CommonJS or ES (the inspector's `Debugger.scriptParsed`, which
 *   `Debugger.enable` sends for each script already loaded), and, with `--allow-natives-syntax`,
 *   whether V8 would optimise a function with TurboFan here.
 * - In a run process, at its exit, whether TurboFan would optimise there, the Node flags it
 *   started with and its MALLOC_* environment, to `<file>.run`.
 * CommonJS because `--require` takes CommonJS.
 */
'use strict';
const { renameSync, writeFileSync } = require('node:fs');

const file = process.env.AGENT_STATE_FILE;

/** Whether a function V8 is told to optimise now ends up running TurboFan's code. */
function turbofan() {
  if (!process.execArgv.includes('--allow-natives-syntax')) return null;
  // In strings: the syntax exists only with the flag, and no linter or formatter knows it.
  const f = new Function('x', 'return x * 2 + 1');
  new Function('f', '%PrepareFunctionForOptimization(f)')(f);
  f(1);
  f(2);
  new Function('f', '%OptimizeFunctionOnNextCall(f)')(f);
  f(3);
  return new Function('f', 'return %ActiveTierIsTurbofan(f)')(f);
}

function write(path, state) {
  writeFileSync(`${path}.tmp`, JSON.stringify(state));
  renameSync(`${path}.tmp`, path);
}

if (file && /run-process\.[jt]s$/.test(process.argv[1] ?? '')) {
  process.on('exit', () =>
    write(`${file}.run`, {
      pid: process.pid,
      turbofan: turbofan(),
      execArgv: process.execArgv,
      env: Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('MALLOC_'))),
    }),
  );
} else if (file) {
  process.on('SIGUSR2', () => {
    const { Session } = require('node:inspector');
    const session = new Session();
    const scripts = [];
    session.connect();
    session.on('Debugger.scriptParsed', (m) => scripts.push(m.params.url));
    session.post('Debugger.enable', () => {
      session.post('Debugger.disable');
      session.disconnect();
      write(file, { pid: process.pid, builtins: process.moduleLoadList, scripts, turbofan: turbofan() });
    });
  });
}
