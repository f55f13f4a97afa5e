/**
 * Preloaded (`node --require`) by test/daemon/heap-growth.int.test.ts: records every V8 flag the process
 * sets at run time (`v8.setFlagsFromString`, also through an ES import of node:v8), each with
 * whether node:http, which the command line's heavy modules load, was loaded yet; at the exit
 * writes them as JSON to $V8_FLAGS_FILE, with whether node:http was loaded by then.
 * CommonJS because `--require` takes CommonJS.
 */
'use strict';
const { writeFileSync } = require('node:fs');
const { syncBuiltinESMExports } = require('node:module');
const v8 = require('node:v8');

const httpLoaded = () => process.moduleLoadList.includes('NativeModule http');
const set = [];
const original = v8.setFlagsFromString;
v8.setFlagsFromString = (flags) => {
  set.push({ flags, httpLoaded: httpLoaded() });
  original(flags);
};
// ES modules importing node:v8 see the wrapper too.
syncBuiltinESMExports();
process.on('exit', () =>
  writeFileSync(process.env.V8_FLAGS_FILE, JSON.stringify({ set, httpLoadedAtExit: httpLoaded() })),
);
