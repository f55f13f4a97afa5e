/**
 * How long RemoteReadClient.read() takes to drain one 2 h window from real Prometheus, against a
 * raw undici drain of the same response body (the floor: HTTP + Prometheus' own work).
 *
 *   node --import tsx bench/remote-read.ts [series=1000] [stepSeconds=1] [runs=5]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compressSync } from 'snappy';
import { request } from 'undici';
import { encodeReadRequest } from '../src/prometheus/read-request.ts';
import { RemoteReadClient } from '../src/prometheus/remote-read.ts';
import { startPrometheus } from '../test/helpers/prometheus.ts';

const SERIES = Number(process.argv[2] ?? 1000);
const STEP_S = Number(process.argv[3] ?? 1);
const RUNS = Number(process.argv[4] ?? 5);
const T0 = 1_699_999_200_000;
const WINDOW = { start: T0, end: T0 + 2 * 3_600_000 };

async function writeOpenMetrics(file: string): Promise<number> {
  const out = createWriteStream(file);
  let samples = 0;
  let seed = 42;
  const rnd = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  out.write('# TYPE bench_value gauge\n');
  for (let s = 0; s < SERIES; s++) {
    const head = `bench_value{instance="host-${s}",job="bench",shard="${s % 10}"}`;
    let v = 1000 * rnd();
    let buf = '';
    for (let t = WINDOW.start; t < WINDOW.end; t += STEP_S * 1000) {
      v += s % 3 === 0 ? 1 : Math.round(rnd() * 100) / 10;
      buf += `${head} ${v} ${t / 1000}\n`;
      samples++;
      if (buf.length > 1 << 20) {
        if (!out.write(buf)) await once(out, 'drain');
        buf = '';
      }
    }
    out.write(buf);
  }
  out.end('# EOF\n');
  await once(out, 'finish');
  return samples;
}

async function run(cmd: string, args: string[]): Promise<void> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`${cmd} exited with ${code}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function rawDrain(url: string): Promise<number> {
  const res = await request(`${url}/api/v1/read`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-read-version': '0.1.0',
    },
    body: compressSync(
      encodeReadRequest({
        startMs: WINDOW.start,
        endMs: WINDOW.end - 1,
        matchers: [{ type: 'RE', name: '__name__', value: '.+' }],
        acceptedResponseTypes: ['STREAMED_XOR_CHUNKS'],
      }),
    ),
  });
  let bytes = 0;
  for await (const part of res.body) bytes += (part as Buffer).length;
  return bytes;
}

async function clientDrain(client: RemoteReadClient): Promise<{ series: number; chunks: number; chunkBytes: number }> {
  let series = 0;
  let chunks = 0;
  let chunkBytes = 0;
  for await (const s of client.read(WINDOW)) {
    series++;
    chunks += s.chunks.length;
    for (const c of s.chunks) chunkBytes += c.data.length;
    if (s.samples) chunks += s.samples.length;
  }
  return { series, chunks, chunkBytes };
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await fn();
  return [performance.now() - start, result];
}

const dir = await mkdtemp(join(tmpdir(), 'promship-bench-'));
try {
  const dataDir = join(dir, 'data');
  await mkdir(dataDir, { recursive: true });
  const om = join(dir, 'input.om');
  const [genMs, samples] = await timed(() => writeOpenMetrics(om));
  const [blocksMs] = await timed(() => run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', om, dataDir]));
  await rm(om);
  console.log(
    `${SERIES} series x 2 h at ${STEP_S} s = ${samples} samples (generate ${genMs.toFixed(0)} ms, promtool ${blocksMs.toFixed(0)} ms)`,
  );

  const prometheus = await startPrometheus({
    dataDir,
    externalLabels: { cluster_id: 'bench' },
    extraArgs: ['--storage.tsdb.min-block-duration=2h', '--storage.tsdb.max-block-duration=2h'],
  });
  const client = new RemoteReadClient({ url: prometheus.url, timeoutMs: 60_000 });
  const samplesClient = new RemoteReadClient({
    url: prometheus.url,
    timeoutMs: 60_000,
    acceptedResponseTypes: ['SAMPLES'],
  });
  try {
    const raw: number[] = [];
    const mine: number[] = [];
    let bytes = 0;
    let stats = { series: 0, chunks: 0, chunkBytes: 0 };
    await rawDrain(prometheus.url); // warm up both sides
    await clientDrain(client);
    for (let i = 0; i < RUNS; i++) {
      const [rawMs, b] = await timed(() => rawDrain(prometheus.url));
      const [readMs, s] = await timed(() => clientDrain(client));
      raw.push(rawMs);
      mine.push(readMs);
      bytes = b;
      stats = s;
    }
    console.log(
      `streamed body: ${(bytes / 1e6).toFixed(1)} MB, ${stats.series} series, ${stats.chunks} chunks, ${(stats.chunkBytes / 1e6).toFixed(1)} MB chunk data`,
    );
    console.log(
      `raw undici drain: median ${median(raw).toFixed(0)} ms  (runs: ${raw.map((x) => x.toFixed(0)).join(', ')})`,
    );
    console.log(
      `read() drain:     median ${median(mine).toFixed(0)} ms  (runs: ${mine.map((x) => x.toFixed(0)).join(', ')})`,
    );
    const [samplesMs, s] = await timed(() => clientDrain(samplesClient));
    console.log(`SAMPLES read():   ${samplesMs.toFixed(0)} ms for ${s.series} series / ${s.chunks} samples`);
    console.log(`max RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  } finally {
    await client.close();
    await samplesClient.close();
    await prometheus.stop();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
