/**
 * `npm run bench`: ships one 2h window of N series (default 10,000 × 2h at 10s = 7.2 M samples)
 * from a real Prometheus into a file bucket with `promship once`, and measures beside it, in the
 * same run and on the same data: draining the same remote-read stream (the floor) and
 * `promtool tsdb create-blocks-from openmetrics` (the reference block builder).
 *
 *   npm run bench [-- --series 10000 --step 10 --runs 3 --stores file,s3rver,gcs]
 *
 * `--stores` adds `once` into s3rver and the firebase-tools GCS emulator (each in a process of
 * its own on loopback) beside the file bucket: ship time and peak RSS per store.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { ulid } from 'ulidx';
import { FileBucket } from '../src/bucket/file-bucket.ts';
import { RemoteReadClient } from '../src/prometheus/remote-read.ts';
import { listBlockDirs, startPrometheus } from '../src/demo/local-prometheus.ts';
import { shipWindow } from '../src/shipper/ship-window.ts';
import { drainRemoteRead, readRequestBody } from './drain.ts';
import { processCpuMs, timed } from './lib.ts';
import { storeRuns } from './stores.ts';

const run = promisify(execFile);
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SERIES = arg('series', 10_000);
const STEP_S = arg('step', 10);
const RUNS = arg('runs', 3);
// `--stores file,s3rver,gcs`: also ship the window with `once` into s3rver and the GCS emulator.
const STORES = (() => {
  const i = process.argv.indexOf('--stores');
  return (i > 0 ? (process.argv[i + 1] ?? '') : 'file').split(',').filter((x) => x !== 'file' && x.length > 0);
})();
const H = 3_600_000;
const aligned = Math.floor(Date.now() / (2 * H)) * (2 * H);
const WINDOW = { start: aligned - 4 * H, end: aligned - 2 * H };
const ROOT = new URL('..', import.meta.url).pathname;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** One measured step: wall time, this process' CPU time and Prometheus' CPU time, all in ms. */
interface Cost {
  ms: number;
  cpuMs: number;
  promCpuMs: number;
}

/**
 * Runs `fn` and says what it cost. The CPU figures show whether a step is bound by the machine
 * rather than by waiting: on 2 cores no step can take less wall time than half the CPU time it
 * and Prometheus spend together.
 */
async function costOf(promPid: number, fn: () => Promise<void>): Promise<Cost> {
  const prom0 = processCpuMs(promPid);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, promCpuMs: processCpuMs(promPid) - prom0 };
}

/** Kubecost-like series: counters, gauges with a few decimals, constants, and noisy floats. */
async function writeOpenMetrics(file: string): Promise<number> {
  const out = createWriteStream(file);
  let seed = 12345;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed / 4_294_967_296;
  };
  const metrics = ['bench_cpu_seconds', 'bench_memory_bytes', 'bench_network_bytes', 'bench_requests', 'bench_up'];
  let samples = 0;
  for (let m = 0; m < metrics.length; m++) {
    const name = metrics[m]!;
    const counter = m === 0 || m === 2 || m === 3;
    out.write(`# TYPE ${name} ${counter ? 'counter' : 'gauge'}\n`);
    for (let s = m; s < SERIES; s += metrics.length) {
      const head = `${name}${counter ? '_total' : ''}{namespace="ns-${s % 50}",pod="pod-${s}",container="c-${s % 7}",instance="10.0.${s % 200}.${s % 250}:9100"}`;
      let v = Math.floor(rnd() * 1e6);
      let buf = '';
      for (let t = WINDOW.start; t < WINDOW.end; t += STEP_S * 1000) {
        if (name === 'bench_up') v = 1;
        else if (name === 'bench_memory_bytes') v = Math.round(2e8 + rnd() * 1e7);
        else if (name === 'bench_cpu_seconds') v = Math.round((v + rnd() * 2) * 1000) / 1000;
        else v += Math.floor(rnd() * 1000);
        buf += `${head} ${v} ${t / 1000}\n`;
        samples++;
      }
      if (!out.write(buf)) await once(out, 'drain');
    }
  }
  out.end('# EOF\n');
  await once(out, 'finish');
  return samples;
}

async function dirBytes(dir: string, filter: (rel: string) => boolean): Promise<number> {
  let total = 0;
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(join(d, e.name), r);
      else if (filter(r)) total += (await stat(join(d, e.name))).size;
    }
  };
  await walk(dir, '');
  return total;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'promship-bench-'));
  try {
    console.error(`bench: ${SERIES} series × 2h at ${STEP_S}s in ${work}`);
    await run('npm', ['run', 'build'], { cwd: ROOT });
    const om = join(work, 'data.om');
    const samples = await writeOpenMetrics(om);
    const source = join(work, 'prometheus');
    await mkdir(source);
    const promtool = await timed('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', om, source]);
    await rm(om);
    const sourceBlocks = await listBlockDirs(source);
    const sourceChunkBytes = await dirBytes(source, (r) => r.includes('/chunks/'));
    const prom = await startPrometheus({ dataDir: source, externalLabels: { cluster_id: 'bench' } });
    const promPid = prom.process.pid!;
    try {
      const version = (await run('node', [join(ROOT, 'dist/cli.js'), 'version'])).stdout.trim();

      // The floor: Prometheus producing the stream plus HTTP, with nothing done to the bytes.
      const body = readRequestBody(WINDOW);
      const drains: Cost[] = [];
      let streamBytes = 0;
      for (let i = 0; i < RUNS + 1; i++) {
        const cost = await costOf(promPid, async () => {
          streamBytes = await drainRemoteRead(prom.url, body);
        });
        if (i > 0) drains.push(cost); // the first run warms Prometheus' page cache
      }

      // The same drain as a fresh process meets it: the first request of a new Node process, with
      // the HTTP client's code still cold, as in `promship once` and in every run of the agent.
      const bodyFile = join(work, 'read-request.bin');
      await writeFile(bodyFile, body);
      const coldDrain = [
        "import { request } from 'undici';",
        "import { readFileSync } from 'node:fs';",
        'const body = readFileSync(process.argv[1]);',
        'const cpu0 = process.cpuUsage();',
        'const t0 = performance.now();',
        "const res = await request(process.argv[2], { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-read-version': '0.1.0' } });",
        'for await (const c of res.body) void c;',
        'const cpu = process.cpuUsage(cpu0);',
        'console.log(performance.now() - t0, (cpu.user + cpu.system) / 1000);',
      ].join('\n');
      const coldDrains: Cost[] = [];
      for (let i = 0; i < RUNS; i++) {
        const prom0 = processCpuMs(promPid);
        const { stdout } = await run(
          'node',
          ['--input-type=module', '-e', coldDrain, bodyFile, `${prom.url}/api/v1/read`],
          { cwd: ROOT },
        );
        const [ms, cpuMs] = stdout.trim().split(' ').map(Number) as [number, number];
        coldDrains.push({ ms, cpuMs, promCpuMs: processCpuMs(promPid) - prom0 });
      }

      // promship's reader alone: frames decoded, CRCs checked, series merged.
      const reads: Cost[] = [];
      for (let i = 0; i < RUNS; i++) {
        const client = new RemoteReadClient({ url: prom.url, timeoutMs: 60_000 });
        let n = 0;
        reads.push(
          await costOf(promPid, async () => {
            for await (const s of client.read(WINDOW)) n += s.chunks.length;
          }),
        );
        await client.close();
        if (n === 0) throw new Error('read returned no chunks');
      }

      // The whole ship (read, build, upload to a file bucket) in this warm process: the best case
      // this design could reach if runs kept their process, as a measure of the work itself.
      // The first two ships warm the code and are not counted.
      const warmShips: Cost[] = [];
      const warmClient = new RemoteReadClient({ url: prom.url, timeoutMs: 60_000 });
      for (let i = 0; i < RUNS + 2; i++) {
        const bucketDir = join(work, `warm-bucket-${i}`);
        await mkdir(bucketDir);
        const cost = await costOf(promPid, async () => {
          const block = await shipWindow(
            {
              source: warmClient,
              bucket: new FileBucket(bucketDir),
              blocksDir: join(work, 'warm-blocks'),
              thanosLabels: { cluster_id: 'bench' },
              stripLabels: [['cluster_id', 'bench']],
              ulid: ulid(),
            },
            WINDOW,
          );
          if (block?.samples !== samples)
            throw new Error(`warm ship shipped ${block?.samples} samples, generated ${samples}`);
        });
        if (i >= 2) warmShips.push(cost);
        await rm(bucketDir, { recursive: true, force: true });
      }
      await warmClient.close();

      // promship once, as a user runs it (built CLI, fresh bucket and data dir each time).
      const onces: {
        seconds: number;
        cpuSeconds: number;
        promCpuMs: number;
        maxRssMiB: number;
        shipMs: number;
        bytes: number;
        chunkBytes: number;
        samples: number;
      }[] = [];
      for (let i = 0; i < RUNS; i++) {
        const bucket = join(work, `bucket-${i}`);
        const prom0 = processCpuMs(promPid);
        const r = await timed('node', [join(ROOT, 'dist/cli.js'), 'once'], {
          PROMSHIP_PROMETHEUS_URL: prom.url,
          PROMSHIP_BUCKET: `file://${bucket}`,
          PROMSHIP_DATA_DIR: join(work, `data-${i}`),
          PROMSHIP_MAX_BACKFILL: '4h',
          PROMSHIP_LOG_LEVEL: 'info',
        });
        const shipped = r.stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((l) => l.msg === 'shipped block');
        if (shipped.length !== 1) throw new Error(`expected one shipped block, got ${shipped.length}`);
        const s = shipped[0]!;
        const chunkBytes = await dirBytes(bucket, (rel) => rel.includes('/chunks/'));
        onces.push({
          seconds: r.seconds,
          cpuSeconds: r.cpuSeconds,
          promCpuMs: processCpuMs(promPid) - prom0,
          maxRssMiB: r.maxRssMiB,
          shipMs: Number(s.durationMs),
          bytes: Number(s.bytes),
          chunkBytes,
          samples: Number(s.samples),
        });
        await rm(bucket, { recursive: true, force: true });
      }
      const floorMs = median(drains.map((c) => c.ms));
      const coldFloorMs = median(coldDrains.map((c) => c.ms));
      const readMs = median(reads.map((c) => c.ms));
      const warmShipMs = median(warmShips.map((c) => c.ms));
      const shipMs = median(onces.map((o) => o.shipMs));
      const onceS = median(onces.map((o) => o.seconds));
      const rss = Math.max(...onces.map((o) => o.maxRssMiB));
      const shippedSamples = onces[0]!.samples;
      if (shippedSamples !== samples) throw new Error(`shipped ${shippedSamples} samples, generated ${samples}`);
      const date = new Date().toISOString().slice(0, 10);
      const machine = `${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
      const fmt = (n: number, d = 2): string => n.toFixed(d);
      const cpu = (cs: Cost[]): string =>
        `${fmt(mean(cs.map((c) => c.cpuMs)) / 1000)} + ${fmt(mean(cs.map((c) => c.promCpuMs)) / 1000)} s`;
      // The least wall time in which the machine's cores could do a step's CPU work.
      const bound = (cs: Cost[]): number => mean(cs.map((c) => c.cpuMs + c.promCpuMs)) / cpus().length;
      const busy = (cs: Cost[]): string =>
        `both together keep ${fmt((100 * bound(cs)) / mean(cs.map((c) => c.ms)), 0)} % of the ${cpus().length} cores busy`;
      const table = [
        `### ${date}: ${SERIES.toLocaleString('en')} series × 2h at ${STEP_S}s (${samples.toLocaleString('en')} samples), promship ${version}`,
        '',
        `Machine: ${machine}. Prometheus from Debian (remote-read stream ${fmt(streamBytes / 2 ** 20, 1)} MiB). Median of ${RUNS} runs.`,
        '',
        '| measurement | time | samples/s | CPU: client + Prometheus | peak RSS | note |',
        '|---|---|---|---|---|---|',
        `| floor: drain the remote-read stream (undici, no decoding) | ${fmt(floorMs / 1000)} s | ${fmt(samples / (floorMs / 1000) / 1e6, 1)} M | ${cpu(drains)} | — | Prometheus + HTTP; ${busy(drains)} |`,
        `| the same drain as the first request of a fresh Node process (cold HTTP client) | ${fmt(coldFloorMs / 1000)} s | ${fmt(samples / (coldFloorMs / 1000) / 1e6, 1)} M | ${cpu(coldDrains)} | — | ${fmt(coldFloorMs / floorMs)}× floor; the ship is ${fmt(shipMs / coldFloorMs, 1)}× this |`,
        `| promship: read + decode + CRC + merge series | ${fmt(readMs / 1000)} s | ${fmt(samples / (readMs / 1000) / 1e6, 1)} M | ${cpu(reads)} | — | ${fmt(readMs / floorMs)}× floor |`,
        `| promship: ship the window in a warm process (read, build, upload; 3rd ship on) | ${fmt(warmShipMs / 1000)} s | ${fmt(samples / (warmShipMs / 1000) / 1e6, 1)} M | ${cpu(warmShips)} | — | ${fmt(warmShipMs / floorMs)}× floor; 2 cores cannot do its CPU in under ${fmt(bound(warmShips) / 1000)} s (${fmt(bound(warmShips) / floorMs)}× floor) |`,
        `| promship: ship the window (read, build, upload; from \`once\`'s log line) | ${fmt(shipMs / 1000)} s | ${fmt(samples / (shipMs / 1000) / 1e6, 1)} M | — | — | **${fmt(shipMs / floorMs)}× floor** (target ≤ 1.5×) |`,
        `| \`promship once\` wall time (process start to exit, built CLI) | ${fmt(onceS)} s | ${fmt(samples / onceS / 1e6, 1)} M | ${fmt(median(onces.map((o) => o.cpuSeconds)))} + ${fmt(median(onces.map((o) => o.promCpuMs)) / 1000)} s | **${fmt(rss, 0)} MiB** | target ≤ 200 MiB |`,
        `| reference: \`promtool tsdb create-blocks-from openmetrics\` | ${fmt(promtool.seconds)} s | ${fmt(samples / promtool.seconds / 1e6, 1)} M | ${fmt(promtool.cpuSeconds)} s | ${fmt(promtool.maxRssMiB, 0)} MiB | promship is ${fmt(promtool.seconds / onceS, 1)}× faster |`,
        '',
        `CPU times are means over the runs (Prometheus' in 10 ms ticks from /proc). On this machine's ${cpus().length} cores no step can finish faster than its CPU time, client and Prometheus together, divided by ${cpus().length}.`,
        '',
        `Chunk bytes per sample: shipped ${fmt(onces[0]!.chunkBytes / samples, 3)}, Prometheus' own (promtool block${sourceBlocks.length > 1 ? 's' : ''}) ${fmt(sourceChunkBytes / samples, 3)} (${fmt((onces[0]!.chunkBytes / sourceChunkBytes - 1) * 100, 2)} %). Block files uploaded: ${fmt(onces[0]!.bytes / 2 ** 20, 1)} MiB.`,
        '',
      ].join('\n');
      const storeTable =
        STORES.length > 0
          ? await storeRuns(STORES, RUNS, { prometheusUrl: prom.url, work, fileShip: { shipMs, maxRssMiB: rss } })
          : '';
      process.stdout.write(`${table}\n${storeTable}`);
      await mkdir(join(ROOT, 'bench', 'out'), { recursive: true });
      await writeFile(join(ROOT, 'bench', 'out', `${date}-${SERIES}.md`), `${table}\n${storeTable}`);
    } finally {
      await prom.stop();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
