/**
 * `npm run bench:scale`: how time and memory grow with the number of series in a window. For each
 * size N (default 10k, 100k, 1M) it generates one 2h window of N Kubecost-like series with
 * promtool, serves it from a real Prometheus and ships it with the built CLI (`node dist/cli.js
 * once`) into a file bucket under `/usr/bin/time`, then checks the shipped block independently
 * (promtool's series count, and `promtool tsdb dump` of the block equal to the dump of the
 * source), and measures the idle RSS of `promship run` once it has nothing left to do.
 *
 * Samples per series shrink as N grows so every size holds a similar number of samples
 * (10k × 2h at 10s, 100k at 1 min, 1M at 10 min): the table shows the cost of series, not of
 * samples.
 *
 *   npm run bench:scale [-- --sizes 10000,100000 --work DIR --no-dump]
 *
 * With `--work DIR` the generated Prometheus data is kept and reused by later runs (generating
 * 1M series with promtool takes minutes); without it everything lives in a temp dir.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startPrometheus } from '../src/demo/local-prometheus.ts';
import { timed } from './lib.ts';

const run = promisify(execFile);
const H = 3_600_000;
const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/cli.js');

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const SIZES = (argValue('sizes') ?? '10000,100000,1000000').split(',').map(Number);
const WORK = argValue('work');
const DUMP = !process.argv.includes('--no-dump');

/** Scrape interval per size: about 7–12 M samples per window at every size. */
function stepSecondsFor(series: number): number {
  if (series <= 10_000) return 10;
  if (series <= 100_000) return 60;
  return 600;
}

interface Source {
  series: number;
  stepS: number;
  samples: number;
  window: { start: number; end: number };
  promtool: { seconds: number; maxRssMiB: number };
}

interface Measured {
  source: Source;
  once: { seconds: number; maxRssMiB: number; shipMs: number; bytes: number };
  idleNothingToDo: { rssMiB: number; hwmMiB: number };
  idleAfterShipping: { rssMiB: number; hwmMiB: number };
  checks: string;
}

/**
 * Kubecost-like series: five metric families (counters and gauges), namespace / node / container
 * labels that repeat, and a pod label unique to each series (the worst case for the symbol table).
 */
async function writeOpenMetrics(
  file: string,
  series: number,
  stepS: number,
  window: { start: number; end: number },
): Promise<number> {
  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  let seed = 12345;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed / 4_294_967_296;
  };
  const metrics = ['scale_cpu_seconds', 'scale_memory_bytes', 'scale_network_bytes', 'scale_requests', 'scale_up'];
  let samples = 0;
  for (let m = 0; m < metrics.length; m++) {
    const name = metrics[m]!;
    const counter = m === 0 || m === 2 || m === 3;
    out.write(`# TYPE ${name} ${counter ? 'counter' : 'gauge'}\n`);
    let buf = '';
    for (let s = m; s < series; s += metrics.length) {
      const head = `${name}${counter ? '_total' : ''}{namespace="ns-${s % 200}",node="node-${s % 500}",pod="pod-${s.toString(36)}-${(s * 7919) % 100_000}",container="c-${s % 7}"}`;
      let v = Math.floor(rnd() * 1e6);
      for (let t = window.start; t < window.end; t += stepS * 1000) {
        if (name === 'scale_up') v = 1;
        else if (name === 'scale_memory_bytes') v = Math.round(2e8 + rnd() * 1e7);
        else if (name === 'scale_cpu_seconds') v = Math.round((v + rnd() * 2) * 1000) / 1000;
        else v += Math.floor(rnd() * 1000);
        buf += `${head} ${v} ${t / 1000}\n`;
        samples++;
      }
      if (buf.length > 1 << 20) {
        if (!out.write(buf)) await once(out, 'drain');
        buf = '';
      }
    }
    if (!out.write(buf)) await once(out, 'drain');
  }
  out.end('# EOF\n');
  await once(out, 'finish');
  return samples;
}

/** Generates (or reuses, under --work) the Prometheus data for `series`. */
async function prepareSource(dir: string, series: number): Promise<Source> {
  const marker = join(dir, 'bench-source.json');
  const known = await readFile(marker, 'utf8').then(
    (t) => JSON.parse(t) as Source,
    () => undefined,
  );
  if (known !== undefined) {
    console.error(`scale: reusing ${series} series in ${dir}`);
    return known;
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'prometheus'), { recursive: true });
  const stepS = stepSecondsFor(series);
  const aligned = Math.floor(Date.now() / (2 * H)) * (2 * H);
  const window = { start: aligned - 4 * H, end: aligned - 2 * H };
  const om = join(dir, 'data.om');
  console.error(`scale: generating ${series} series × 2h at ${stepS}s`);
  const samples = await writeOpenMetrics(om, series, stepS, window);
  console.error(`scale: promtool create-blocks-from openmetrics (${samples} samples)`);
  const p = await timed('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', om, join(dir, 'prometheus')]);
  await rm(om);
  const source: Source = { series, stepS, samples, window, promtool: { seconds: p.seconds, maxRssMiB: p.maxRssMiB } };
  await writeFile(marker, JSON.stringify(source));
  return source;
}

interface ShippedLine {
  ulid: string;
  series: number;
  samples: number;
  bytes: number;
  durationMs: number;
}

function shippedLines(stdout: string): ShippedLine[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'shipped block')
    .map((l) => ({
      ulid: String(l.ulid),
      series: Number(l.series),
      samples: Number(l.samples),
      bytes: Number(l.bytes),
      durationMs: Number(l.durationMs),
    }));
}

/** sha256 and line count of `promtool tsdb dump` output, streamed (1M series dump to GBs of text). */
async function dumpDigest(
  dir: string,
  window: { start: number; end: number },
): Promise<{ sha256: string; lines: number }> {
  await mkdir(join(dir, 'wal'), { recursive: true });
  const child = spawn('promtool', ['tsdb', 'dump', `--min-time=${window.start}`, `--max-time=${window.end - 1}`, dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const hash = createHash('sha256');
  let lines = 0;
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.stdout.on('data', (d: Buffer) => {
    hash.update(d);
    for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
  });
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`promtool tsdb dump ${dir} exited ${code}: ${stderr}`);
  return { sha256: hash.digest('hex'), lines };
}

/** Starts `promship run`, waits for its first run to end, lets it settle, and reads its RSS. */
async function idleRss(
  env: Record<string, string>,
  expectShipped: number,
): Promise<{ rssMiB: number; hwmMiB: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'run'], {
    env: { ...process.env, ...env, PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${port}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const deadline = Date.now() + 30 * 60_000;
    while (!/"msg":"health"/.test(out)) {
      if (child.exitCode !== null) throw new Error(`promship run exited ${child.exitCode}: ${out.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`promship run did not finish its first run: ${out.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const shipped = shippedLines(out).length;
    if (shipped !== expectShipped)
      throw new Error(`promship run shipped ${shipped} blocks, expected ${expectShipped}: ${out.slice(-2000)}`);
    // Idle as a pod sits between runs: give V8 time for its idle-time GC.
    await new Promise((r) => setTimeout(r, 10_000));
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
    const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
}

async function measure(work: string, series: number): Promise<Measured> {
  const dir = join(work, `source-${series}`);
  const source = await prepareSource(dir, series);
  const prom = await startPrometheus({
    dataDir: join(dir, 'prometheus'),
    configDir: dir,
    externalLabels: { cluster_id: 'bench' },
  });
  const runDir = await mkdtemp(join(work, `run-${series}-`));
  try {
    const env = (bucket: string): Record<string, string> => ({
      PROMSHIP_PROMETHEUS_URL: prom.url,
      PROMSHIP_BUCKET: `file://${bucket}`,
      PROMSHIP_DATA_DIR: join(runDir, 'data'),
      // Long enough to reach the window however long ago the data was generated; windows before
      // Prometheus' oldest sample are not read at all, later empty ones yield no block.
      PROMSHIP_MAX_BACKFILL: '15d',
      PROMSHIP_LOG_LEVEL: 'info',
    });
    const bucket = join(runDir, 'bucket');
    console.error(`scale: promship once, ${series} series`);
    const r = await timed('node', [CLI, 'once'], env(bucket));
    const shipped = shippedLines(r.stdout);
    if (shipped.length !== 1)
      throw new Error(`expected one shipped block, got ${shipped.length}: ${r.stdout.slice(-2000)}`);
    const s = shipped[0]!;
    if (s.series !== series || s.samples !== source.samples) {
      throw new Error(`shipped ${s.series} series / ${s.samples} samples, generated ${series} / ${source.samples}`);
    }

    console.error('scale: idle RSS of promship run');
    const idleNothingToDo = await idleRss(env(bucket), 0);
    const idleAfterShipping = await idleRss(env(join(runDir, 'bucket-2')), 1);

    // Independent checks of the block: promtool's own reading of it, and its samples.
    const analyze = (await run('promtool', ['tsdb', 'analyze', bucket, s.ulid], { maxBuffer: 1 << 28 })).stdout;
    const total = Number(/^Series: (\d+)$/m.exec(analyze)?.[1]);
    if (total !== series)
      throw new Error(`promtool tsdb analyze counts ${total} series in ${s.ulid}, expected ${series}`);
    let checks = `promtool analyze: ${total.toLocaleString('en')} series`;
    await prom.stop();
    if (DUMP) {
      console.error('scale: comparing promtool dumps of source and shipped block');
      const [want, got] = [
        await dumpDigest(join(dir, 'prometheus'), source.window),
        await dumpDigest(bucket, source.window),
      ];
      if (want.lines !== source.samples || got.sha256 !== want.sha256 || got.lines !== want.lines) {
        throw new Error(
          `promtool dump of the shipped block (${got.lines} lines, ${got.sha256}) differs from the source (${want.lines} lines, ${want.sha256})`,
        );
      }
      checks += '; dump identical to source';
    }
    return {
      source,
      once: { seconds: r.seconds, maxRssMiB: r.maxRssMiB, shipMs: s.durationMs, bytes: s.bytes },
      idleNothingToDo,
      idleAfterShipping,
      checks,
    };
  } finally {
    await prom.stop();
    await rm(runDir, { recursive: true, force: true });
  }
}

function fmt(n: number, d = 0): string {
  return n.toLocaleString('en', { minimumFractionDigits: d, maximumFractionDigits: d });
}

function formatRow(m: Measured): string {
  const f = fmt;
  const { source: src, once: o } = m;
  return `| ${f(src.series)} × ${f(src.samples / src.series)} (${f(src.samples / 1e6, 1)} M) | ${f(o.shipMs / 1000, 2)} s | ${f(o.seconds, 2)} s | ${f(src.series / (o.shipMs / 1000))} | **${f(o.maxRssMiB)} MiB** | ${f(m.idleNothingToDo.rssMiB)} / ${f(m.idleAfterShipping.rssMiB)} MiB | ${f(src.promtool.seconds, 1)} s, ${f(src.promtool.maxRssMiB)} MiB | ${f(o.bytes / 2 ** 20, 1)} MiB | ${m.checks} |`;
}

async function main(): Promise<void> {
  const work = WORK ?? (await mkdtemp(join(tmpdir(), 'promship-scale-')));
  await mkdir(work, { recursive: true });
  try {
    console.error(`scale: sizes ${SIZES.join(', ')} in ${work}`);
    await run('npm', ['run', 'build'], { cwd: ROOT });
    const version = (await run('node', [CLI, 'version'])).stdout.trim();
    const results: Measured[] = [];
    for (const n of SIZES) {
      const m = await measure(work, n);
      results.push(m);
      console.error(`scale: ${formatRow(m)}`);
    }

    const date = new Date().toISOString().slice(0, 10);
    const machine = `${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
    const rows = results.map(formatRow);
    const table = [
      `### ${date}: scale, series per window (promship ${version})`,
      '',
      `Machine: ${machine}. Prometheus from Debian. One 2h window per size; \`promship once\` (built CLI) into a file bucket.`,
      '',
      '| series × samples each (samples) | ship window | `once` wall | series/s | `once` peak RSS | idle RSS of `run` (nothing to do / after shipping) | promtool create-blocks (time, peak RSS) | block size | checks |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      'Targets: peak RSS ≤ 200 MiB at 10k series, ≤ 1 GiB at 1M; idle ≤ 60 MiB. "ship window" is the shipped-block log line (read, build, upload); "`once` wall" adds process start and planning.',
      '',
    ].join('\n');
    process.stdout.write(`${table}\n`);
    await mkdir(join(ROOT, 'bench', 'out'), { recursive: true });
    await writeFile(join(ROOT, 'bench', 'out', `${date}-scale.md`), table);
  } finally {
    if (WORK === undefined) await rm(work, { recursive: true, force: true });
  }
}

await main();
