/**
 * `npm run bench`: ships one 2h window of N series (default 10,000 × 2h at 10s = 7.2 M samples)
 * from a real Prometheus into a file bucket with `promship once`, and measures beside it, in the
 * same run and on the same data: draining the same remote-read stream (the floor) and
 * `promtool tsdb create-blocks-from openmetrics` (the reference block builder).
 *
 *   npm run bench [-- --series 10000 --step 10 --runs 3]
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { compressSync } from 'snappy';
import { request } from 'undici';
import { encodeReadRequest } from '../src/prometheus/messages.ts';
import { RemoteReadClient } from '../src/prometheus/remote-read.ts';
import { listBlockDirs, startPrometheus } from '../src/demo/local-prometheus.ts';
import { timed } from './lib.ts';

const run = promisify(execFile);
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SERIES = arg('series', 10_000);
const STEP_S = arg('step', 10);
const RUNS = arg('runs', 3);
const H = 3_600_000;
const aligned = Math.floor(Date.now() / (2 * H)) * (2 * H);
const WINDOW = { start: aligned - 4 * H, end: aligned - 2 * H };
const ROOT = new URL('..', import.meta.url).pathname;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
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
    try {
      const version = (await run('node', [join(ROOT, 'dist/cli.js'), 'version'])).stdout.trim();

      // The floor: Prometheus producing the stream plus HTTP, with nothing done to the bytes.
      const body = compressSync(
        encodeReadRequest({ startMs: WINDOW.start, endMs: WINDOW.end - 1, matchers: [{ type: 'RE', name: '__name__', value: '.+' }], acceptedResponseTypes: ['STREAMED_XOR_CHUNKS'] }),
      );
      const drains: number[] = [];
      let streamBytes = 0;
      for (let i = 0; i < RUNS + 1; i++) {
        const t0 = performance.now();
        const res = await request(`${prom.url}/api/v1/read`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-read-version': '0.1.0' },
        });
        streamBytes = 0;
        for await (const chunk of res.body) streamBytes += (chunk as Buffer).length;
        if (i > 0) drains.push(performance.now() - t0); // the first run warms Prometheus' page cache
      }

      // The same drain as a fresh process meets it: the first request of a new Node process, with
      // the HTTP client's code still cold, as in `promship once` and in every run of the agent.
      const bodyFile = join(work, 'read-request.bin');
      await writeFile(bodyFile, body);
      const coldDrain = [
        "import { request } from 'undici';",
        "import { readFileSync } from 'node:fs';",
        'const body = readFileSync(process.argv[1]);',
        'const t0 = performance.now();',
        "const res = await request(process.argv[2], { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-read-version': '0.1.0' } });",
        'for await (const c of res.body) void c;',
        'console.log(performance.now() - t0);',
      ].join('\n');
      const coldDrains: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const { stdout } = await run('node', ['--input-type=module', '-e', coldDrain, bodyFile, `${prom.url}/api/v1/read`], { cwd: ROOT });
        coldDrains.push(Number(stdout.trim()));
      }

      // promship's reader alone: frames decoded, CRCs checked, series merged.
      const reads: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const client = new RemoteReadClient({ url: prom.url, timeoutMs: 60_000 });
        const t0 = performance.now();
        let n = 0;
        for await (const s of client.read(WINDOW)) n += s.chunks.length;
        reads.push(performance.now() - t0);
        await client.close();
        if (n === 0) throw new Error('read returned no chunks');
      }

      // promship once, as a user runs it (built CLI, fresh bucket and data dir each time).
      const onces: { seconds: number; maxRssMiB: number; shipMs: number; bytes: number; chunkBytes: number; samples: number }[] = [];
      for (let i = 0; i < RUNS; i++) {
        const bucket = join(work, `bucket-${i}`);
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
        onces.push({ seconds: r.seconds, maxRssMiB: r.maxRssMiB, shipMs: Number(s.durationMs), bytes: Number(s.bytes), chunkBytes, samples: Number(s.samples) });
        await rm(bucket, { recursive: true, force: true });
      }
      const floorMs = median(drains);
      const coldFloorMs = median(coldDrains);
      const readMs = median(reads);
      const shipMs = median(onces.map((o) => o.shipMs));
      const onceS = median(onces.map((o) => o.seconds));
      const rss = Math.max(...onces.map((o) => o.maxRssMiB));
      const shippedSamples = onces[0]!.samples;
      if (shippedSamples !== samples) throw new Error(`shipped ${shippedSamples} samples, generated ${samples}`);
      const date = new Date().toISOString().slice(0, 10);
      const machine = `${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
      const fmt = (n: number, d = 2): string => n.toFixed(d);
      const table = [
        `### ${date}: ${SERIES.toLocaleString('en')} series × 2h at ${STEP_S}s (${samples.toLocaleString('en')} samples), promship ${version}`,
        '',
        `Machine: ${machine}. Prometheus from Debian (remote-read stream ${fmt(streamBytes / 2 ** 20, 1)} MiB). Median of ${RUNS} runs.`,
        '',
        '| measurement | time | samples/s | peak RSS | note |',
        '|---|---|---|---|---|',
        `| floor: drain the remote-read stream (undici, no decoding) | ${fmt(floorMs / 1000)} s | ${fmt(samples / (floorMs / 1000) / 1e6, 1)} M | — | Prometheus + HTTP |`,
        `| the same drain as the first request of a fresh Node process (cold HTTP client) | ${fmt(coldFloorMs / 1000)} s | ${fmt(samples / (coldFloorMs / 1000) / 1e6, 1)} M | — | ${fmt(coldFloorMs / floorMs)}× floor; the ship is ${fmt(median(onces.map((o) => o.shipMs)) / coldFloorMs, 1)}× this |`,
        `| promship: read + decode + CRC + merge series | ${fmt(readMs / 1000)} s | ${fmt(samples / (readMs / 1000) / 1e6, 1)} M | — | ${fmt(readMs / floorMs)}× floor |`,
        `| promship: ship the window (read, build, upload; from its log line) | ${fmt(shipMs / 1000)} s | ${fmt(samples / (shipMs / 1000) / 1e6, 1)} M | — | **${fmt(shipMs / floorMs)}× floor** (target ≤ 1.5×) |`,
        `| \`promship once\` wall time (process start to exit, built CLI) | ${fmt(onceS)} s | ${fmt(samples / onceS / 1e6, 1)} M | **${fmt(rss, 0)} MiB** | target ≤ 200 MiB |`,
        `| reference: \`promtool tsdb create-blocks-from openmetrics\` | ${fmt(promtool.seconds)} s | ${fmt(samples / promtool.seconds / 1e6, 1)} M | ${fmt(promtool.maxRssMiB, 0)} MiB | promship is ${fmt(promtool.seconds / onceS, 1)}× faster |`,
        '',
        `Chunk bytes per sample: shipped ${fmt(onces[0]!.chunkBytes / samples, 3)}, Prometheus' own (promtool block${sourceBlocks.length > 1 ? 's' : ''}) ${fmt(sourceChunkBytes / samples, 3)} (${fmt((onces[0]!.chunkBytes / sourceChunkBytes - 1) * 100, 2)} %). Block files uploaded: ${fmt(onces[0]!.bytes / 2 ** 20, 1)} MiB.`,
        '',
      ].join('\n');
      process.stdout.write(`${table}\n`);
      await mkdir(join(ROOT, 'bench', 'out'), { recursive: true });
      await writeFile(join(ROOT, 'bench', 'out', `${date}-${SERIES}.md`), table);
    } finally {
      await prom.stop();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
