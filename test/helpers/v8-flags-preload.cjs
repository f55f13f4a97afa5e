/**
 * Preloaded (`node --require`) by test/heap-growth.int.test.ts: records every V8 flag the process
 * sets at run time (`v8.setFlagsFromString`, also through an ES import of node:v8) and writes
 * them, one per line, to $V8_FLAGS_FILE at its exit. CommonJS because `--require` takes CommonJS.
 */
'use strict';
const { writeFileSync } = require('node:fs');
const { syncBuiltinESMExports } = require('node:module');
const v8 = require('node:v8');

const set = [];
const original = v8.setFlagsFromString;
v8.setFlagsFromString = (flags) => {
  set.push(flags);
  original(flags);
};
// ES modules importing node:v8 see the wrapper too.
syncBuiltinESMExports();
process.on('exit', () => writeFileSync(process.env.V8_FLAGS_FILE, set.map((f) => `${f}\n`).join('')));
