#!/usr/bin/env node
/**
 * `promship`. The V8 flags are set first, and the command line is loaded only after them: a
 * dynamic import is the one order that holds both from source and in the bundle, where the
 * modules a file imports statically are evaluated before its own code.
 */
import './agent-v8-flags.ts';

await import('./command-line.ts');
