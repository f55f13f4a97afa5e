/**
 * `node --import tsx bench/idle-rss.ts`: the agent's idle RSS (`promship run`, built CLI) with a
 * file bucket and with an Azure (Azurite) bucket, every SDK installed. The agent itself never
 * opens the bucket (its run processes do), so no store SDK should be in its memory: both figures
 * must stay at most 60 MiB, also once Prometheus and the kubelet have been asking it for a while.
 * Measured on this Node and on the image's Node 22 (scripts/node22.sh, with the image's compile
 * cache and NODE_OPTIONS settings).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_ENV, RUN_NODE_FLAGS } from '../src/daemon/run-node-flags.ts';
import { startAzurite } from '../test/helpers/azurite.ts';
import { freePort, startPrometheus } from '../test/helpers/prometheus.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Largest VmRSS over five samples a second apart. */
async function sampleRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(await rssMiB(pid));
    await sleep(1000);
  }
  return Math.max(...samples);
}

interface Idle {
  /** After the first run, before anything asked the agent anything. */
  quiet: number;
  /** After 60 rounds of a /metrics scrape and both probes, 0.5 s apart: far above a pod's rate, for 35 s. */
  scraped: number;
}

async function idleRss(node: string, env: Record<string, string>): Promise<Idle> {
  const child = spawn(node, [join(ROOT, 'dist/cli.js'), 'run'], {
    env: { PATH: process.env.PATH ?? '/usr/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  try {
    for (let i = 0; i < 600 && !out.includes('"run finished"'); i++) await sleep(100);
    if (!out.includes('"run finished"')) throw new Error(`no finished run: ${out.slice(-1000)}`);
    // Idle: the first run is over and the next is hours away; let the heap settle.
    await sleep(10_000);
    const quiet = await sampleRss(child.pid!);
    const base = `http://${env.PROMSHIP_LISTEN_ADDRESS!}`;
    for (let i = 0; i < 60; i++) {
      for (const path of ['/metrics', '/healthz', '/readyz']) await (await fetch(base + path)).text();
      await sleep(500);
    }
    return { quiet, scraped: await sampleRss(child.pid!) };
  } finally {
    child.kill('SIGTERM');
  }
}

const teardowns: (() => unknown)[] = [];
const t = { teardown: (fn: () => unknown) => teardowns.push(fn) };
const work = await mkdtemp(join(tmpdir(), 'promship-idle-'));
try {
  const prometheus = await startPrometheus({ dataDir: join(work, 'prom'), externalLabels: { cluster_id: 'bench' } });
  teardowns.push(() => prometheus.stop());
  const azurite = await startAzurite(t);
  // Only the first run, at start: a yearly schedule. With a horizon under a day, promship refuses
  // such a schedule (windows would fall due between runs).
  const base = { PROMSHIP_PROMETHEUS_URL: prometheus.url, PROMSHIP_SCHEDULE: '0 0 1 1 *', PROMSHIP_MAX_BACKFILL: '2d' };
  const node22 = execFileSync('bash', [join(ROOT, 'scripts/node22.sh')], { encoding: 'utf8' }).trim();
  const nodes: { name: string; bin: string; env: Record<string, string> }[] = [
    { name: `Node ${process.versions.node}`, bin: process.execPath, env: {} },
    // As the image runs it (the Dockerfile sets NODE_COMPILE_CACHE, NODE_OPTIONS and MALLOC_ARENA_MAX).
    {
      name: 'Node 22 (the image)',
      bin: node22,
      env: { NODE_COMPILE_CACHE: join(work, 'compile-cache'), NODE_OPTIONS: RUN_NODE_FLAGS.join(' '), ...RUN_ENV },
    },
  ];
  let n = 0;
  for (const node of nodes) {
    const file = await idleRss(node.bin, {
      ...base,
      ...node.env,
      PROMSHIP_BUCKET: `file://${join(work, 'bucket')}`,
      PROMSHIP_DATA_DIR: join(work, `d${++n}`),
      PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${await freePort()}`,
    });
    const azure = await idleRss(node.bin, {
      ...base,
      ...node.env,
      PROMSHIP_BUCKET: `azblob://${azurite.container}/idle`,
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString(),
      PROMSHIP_DATA_DIR: join(work, `d${++n}`),
      PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${await freePort()}`,
    });
    const show = (i: Idle): string => `${i.quiet.toFixed(1)} MiB, ${i.scraped.toFixed(1)} MiB scraped`;
    process.stdout.write(
      `idle agent RSS, ${node.name} (${new Date().toISOString()}): file bucket ${show(file)}, azblob bucket ${show(azure)} (limit 60 MiB)\n`,
    );
  }
} finally {
  for (const fn of teardowns.reverse()) await fn();
  await rm(work, { recursive: true, force: true });
}
