/**
 * Preloaded (`node --require`) into `promship run` by test/daemon/agent-footprint.int.test.ts. On
 * SIGUSR2 it writes, to the file named by $AGENT_STATE_FILE, what Node itself says this process
 * has loaded: its built-in modules (`process.moduleLoadList`) and the CommonJS files in
 * `require.cache`; and, with `--allow-natives-syntax`, whether V8 would optimise a function with
 * TurboFan here (V8's own test functions, asked to optimise it now). CommonJS because `--require`
 * takes CommonJS.
 */
'use strict';
const { renameSync, writeFileSync } = require('node:fs');

const file = process.env.AGENT_STATE_FILE;

/** Whether a function V8 is told to optimise now ends up running TurboFan's code. */
function turbofan() {
  // In strings: the syntax exists only with the flag, and no linter or formatter knows it.
  const f = new Function('x', 'return x * 2 + 1');
  new Function('f', '%PrepareFunctionForOptimization(f)')(f);
  f(1);
  f(2);
  new Function('f', '%OptimizeFunctionOnNextCall(f)')(f);
  f(3);
  return new Function('f', 'return %ActiveTierIsTurbofan(f)')(f);
}
if (file) {
  process.on('SIGUSR2', () => {
    const state = {
      pid: process.pid,
      builtins: process.moduleLoadList,
      commonjs: Object.keys(require.cache),
      turbofan: process.execArgv.includes('--allow-natives-syntax') ? turbofan() : null,
    };
    writeFileSync(`${file}.tmp`, JSON.stringify(state));
    renameSync(`${file}.tmp`, file);
  });
}
