/**
 * Preloaded (`node --require`) into `promship run` by test/daemon/agent-footprint.int.test.ts. On
 * SIGUSR2 it writes, to the file named by $AGENT_STATE_FILE, what Node itself says this process
 * has loaded: its built-in modules (`process.moduleLoadList`) and the CommonJS files in
 * `require.cache`. CommonJS because `--require` takes CommonJS.
 */
'use strict';
const { renameSync, writeFileSync } = require('node:fs');

const file = process.env.AGENT_STATE_FILE;
if (file) {
  process.on('SIGUSR2', () => {
    const state = { pid: process.pid, builtins: process.moduleLoadList, commonjs: Object.keys(require.cache) };
    writeFileSync(`${file}.tmp`, JSON.stringify(state));
    renameSync(`${file}.tmp`, file);
  });
}
