/**
 * V8 flags set as the command starts. On Node 20 every command but the agent caps how far the
 * heap grows (src/daemon/heap-growth.ts): `once` ships windows, and the others gain nothing from a heap
 * kept large.
 *
 * The agent (`promship run`) runs without TurboFan, V8's top compiler. The agent only supervises:
 * it sleeps, serves /metrics and starts the run processes that do the work (they keep every
 * compiler). What runs hot in it is module loading at start, and one TurboFan compilation keeps
 * the compiler's code paged in and its output in memory for good: 6–9 MiB of the idle agent's
 * memory on Node 22 (bench/idle-rss.ts). The lighter tiers stay.
 *
 * Imported by src/cli.ts, which loads the rest of the command line only after it. A flag set at
 * run time reaches only this process; run processes start with Node's own. V8 checks flags when
 * it reads compiled code back, so what the agent loads after this (the daemon, pino, prom-client)
 * misses compile-cache entries written by run processes, and the runs miss the entries of pino and
 * the few modules both load after the agent has written its own (at its exit): a few milliseconds
 * each time.
 *
 * The command line's modules must not ES-import a CommonJS package (src/log.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { capHeapGrowth } from './daemon/heap-growth.ts';

if (process.argv[2] === 'run') setFlagsFromString('--no-opt');
else capHeapGrowth();
