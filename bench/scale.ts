/**
 * `npm run bench:scale`: how time and memory grow with the number of series in a window. For each
 * size N (default 10k, 100k, 1M) it generates one 2h window of N Kubecost-like series with
 * promtool, serves it from a real Prometheus and ships it with the built CLI (`node dist/cli.js
 * once`) into a file bucket under `/usr/bin/time`, then checks the shipped block independently
 * (promtool's series count, and `promtool tsdb dump` of the block equal to the dump of the
 * source), and measures the idle RSS of `promship run` once it has nothing left to do.
 *
 * In the same run and against the same Prometheus it measures the floor: undici draining the
 * very stream `once` reads (a warm-up drain, then the best of two), with the drain's CPU time
 * and Prometheus' CPU time and anonymous memory (RssAnon) during it; and for `once` its wall and
 * CPU time (GNU time: process start to exit), peak RSS, Prometheus' CPU and RssAnon during it,
 * and the shipped chunk bytes against Prometheus' own.
 *
 * Samples per series shrink as N grows so every size holds a similar number of samples
 * (10k × 2h at 10s, 100k at 1 min, 1M at 10 min): the table shows the cost of series, not of
 * samples. `--step S` sets the scrape interval for every size instead; the window of issue #15,
 * 250,000 series × 240 samples (60 M samples):
 *
 *   npm run bench:scale -- --sizes 250000 --step 30 --work /work/cache-scale --runs 2
 *
 *   npm run bench:scale [-- --sizes 10000,100000 --step 30 --runs 2 --work DIR --no-dump --no-idle]
 *
 * `--baseline OTHER/dist/cli.js` also runs another build's `once` (e.g. a checkout of the commit
 * before a change, built), alternating with this build's, against the same floor and load.
 *
 * `once` starts with the Node flags and environment the agent's runs and the image use
 * (src/daemon/run-node-flags.ts); `--plain-node` starts it without them, as `node dist/cli.js once`
 * outside the image does. `--image-node` starts it as the image does: on the image's Node 22
 * (scripts/node22.sh), with the flags in NODE_OPTIONS, the same environment, and a compile cache
 * that the first run fills (the Dockerfile's settings).
 *
 * `--runs N` runs `once` N times (the table shows the median, and the best beside it). With
 * `--work DIR` the generated Prometheus data is kept and reused by later runs (generating 1M
 * series, or 60 M samples, with promtool takes minutes); without it everything lives in a temp
 * dir. `--no-dump` skips the dump comparison, `--no-idle` the idle-RSS measurement.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { RUN_ENV, RUN_NODE_FLAGS } from '../src/daemon/run-node-flags.ts';
import { freePort, startPrometheus } from '../src/demo/local-prometheus.ts';
import { drainRemoteRead, readRequestBody } from './drain.ts';
import { timed, watchProcess } from './lib.ts';

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
const STEP = argValue('step');
const RUNS = Number(argValue('runs') ?? '1');
const IDLE = !process.argv.includes('--no-idle');
/** `--image-node`: `once` on the image's Node 22, set up as the Dockerfile sets it up. */
const IMAGE_NODE = process.argv.includes('--image-node');
const NODE_BIN = IMAGE_NODE
  ? execFileSync('bash', [join(ROOT, 'scripts/node22.sh')], { encoding: 'utf8' }).trim()
  : 'node';
/** Node's flags for `once` on its command line: the runs' own unless `--plain-node` (or in NODE_OPTIONS). */
const NODE_FLAGS = process.argv.includes('--plain-node') || IMAGE_NODE ? [] : [...RUN_NODE_FLAGS];
/** `--baseline PATH/dist/cli.js`: another build's CLI, run alternately with this one's `once`. */
const BASELINE = argValue('baseline');

/** Scrape interval per size: about 7–12 M samples per window at every size. */
function stepSecondsFor(series: number): number {
  if (STEP !== undefined) return Number(STEP);
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

/** One run of `once` or of the floor's drain, with what Prometheus did meanwhile. */
interface Run {
  seconds: number;
  /** The client's CPU time (user + system). */
  cpuSeconds: number;
  promCpuSeconds: number;
  promRssAnonBeforeMiB: number;
  promRssAnonPeakMiB: number;
}

interface OnceRun extends Run {
  maxRssMiB: number;
  shipMs: number;
  bytes: number;
  chunkBytes: number;
}

interface Measured {
  source: Source;
  /** Best of two drains after a warm-up; `streamBytes` is the body's size. */
  floor: Run & { streamBytes: number };
  onces: OnceRun[];
  /** `once` of the `--baseline` build, in the same run. */
  baselineOnces: OnceRun[];
  sourceChunkBytes: number;
  idleNothingToDo?: { rssMiB: number; hwmMiB: number };
  idleAfterShipping?: { rssMiB: number; hwmMiB: number };
  checks: string;
}

/** Total size of the files under `dir` whose path contains `/chunks/`. */
async function chunkBytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    if (e.isFile() && path.includes('/chunks/')) total += (await stat(path)).size;
  }
  return total;
}

/**
 * The floor: undici draining the same remote-read stream `once` reads (same matcher, same
 * window), doing nothing with the bytes. One warm-up drain, then the best of two.
 */
async function measureFloor(
  url: string,
  promPid: number,
  window: { start: number; end: number },
): Promise<Measured['floor']> {
  const body = readRequestBody(window);
  const drain = async (): Promise<Measured['floor']> => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const w = await watchProcess(promPid, () => drainRemoteRead(url, body));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      promCpuSeconds: w.cpuMs / 1000,
      promRssAnonBeforeMiB: w.rssAnonBeforeMiB,
      promRssAnonPeakMiB: w.rssAnonPeakMiB,
      streamBytes: w.result,
    };
  };
  await drain();
  const a = await drain();
  const b = await drain();
  return a.seconds <= b.seconds ? a : b;
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
  const dir = join(work, `source-${series}-${stepSecondsFor(series)}s`);
  const source = await prepareSource(dir, series);
  const prom = await startPrometheus({
    dataDir: join(dir, 'prometheus'),
    configDir: dir,
    externalLabels: { cluster_id: 'bench' },
  });
  const runDir = await mkdtemp(join(work, `run-${series}-`));
  try {
    // The window is the newest one due: every later window (empty, since the data was generated
    // and cached) is not yet due, so `once` reads the one window the floor drains. Otherwise each
    // run also read one empty window per 2 h since the data was made (at 10k some 6 ms each, ten
    // of them in a run 17 h after). The margin keeps it so for a benchmark of up to 1 h 50 min.
    const shipDelayS = Math.floor((Date.now() - source.window.end) / 1000) - 600;
    if (shipDelayS < 300) throw new Error('the window ended less than 15 minutes ago: wait, or generate it again');
    const env = (bucket: string): Record<string, string> => ({
      PROMSHIP_PROMETHEUS_URL: prom.url,
      PROMSHIP_BUCKET: `file://${bucket}`,
      PROMSHIP_DATA_DIR: join(runDir, 'data'),
      PROMSHIP_SHIP_DELAY: `${shipDelayS}s`,
      // Long enough to reach the window however long ago the data was generated; windows before
      // Prometheus' oldest sample are not read at all.
      PROMSHIP_MAX_BACKFILL: '15d',
      PROMSHIP_LOG_LEVEL: 'info',
    });
    const promPid = prom.process.pid!;
    console.error(`scale: floor, draining the stream of ${series} series`);
    const floor = await measureFloor(prom.url, promPid, source.window);
    const sourceChunkBytes = await chunkBytesUnder(join(dir, 'prometheus'));
    const onceRun = async (cli: string, bucketDir: string, label: string): Promise<[OnceRun, ShippedLine]> => {
      await rm(join(runDir, 'data'), { recursive: true, force: true });
      const imageEnv: Record<string, string> = IMAGE_NODE
        ? { NODE_COMPILE_CACHE: join(work, 'compile-cache'), NODE_OPTIONS: RUN_NODE_FLAGS.join(' '), ...RUN_ENV }
        : NODE_FLAGS.length > 0
          ? { ...RUN_ENV }
          : {};
      const w = await watchProcess(promPid, () =>
        timed(NODE_BIN, [...NODE_FLAGS, cli, 'once'], { ...env(bucketDir), ...imageEnv }),
      );
      const r = w.result;
      const shipped = shippedLines(r.stdout);
      if (shipped.length !== 1)
        throw new Error(`expected one shipped block, got ${shipped.length}: ${r.stdout.slice(-2000)}`);
      const line = shipped[0]!;
      if (line.series !== series || line.samples !== source.samples) {
        throw new Error(
          `shipped ${line.series} series / ${line.samples} samples, generated ${series} / ${source.samples}`,
        );
      }
      console.error(
        `scale: ${label}once ${r.seconds.toFixed(2)} s (${(r.seconds / floor.seconds).toFixed(2)}× the floor of ${floor.seconds.toFixed(2)} s), CPU ${r.cpuSeconds.toFixed(2)} s, peak RSS ${r.maxRssMiB.toFixed(0)} MiB`,
      );
      const run: OnceRun = {
        seconds: r.seconds,
        cpuSeconds: r.cpuSeconds,
        maxRssMiB: r.maxRssMiB,
        promCpuSeconds: w.cpuMs / 1000,
        promRssAnonBeforeMiB: w.rssAnonBeforeMiB,
        promRssAnonPeakMiB: w.rssAnonPeakMiB,
        shipMs: line.durationMs,
        bytes: line.bytes,
        chunkBytes: await chunkBytesUnder(bucketDir),
      };
      return [run, line];
    };
    const onces: OnceRun[] = [];
    const baselineOnces: OnceRun[] = [];
    let bucket = '';
    let s: ShippedLine | undefined;
    for (let i = 0; i < RUNS; i++) {
      // The baseline build first, then this one, alternating: both meet the same load.
      if (BASELINE !== undefined) {
        const other = join(runDir, `baseline-bucket-${i}`);
        console.error(`scale: baseline promship once, ${series} series (run ${i + 1} of ${RUNS})`);
        baselineOnces.push((await onceRun(BASELINE, other, 'baseline '))[0]);
        await rm(other, { recursive: true, force: true });
      }
      if (bucket !== '') await rm(bucket, { recursive: true, force: true });
      bucket = join(runDir, `bucket-${i}`);
      console.error(`scale: promship once, ${series} series (run ${i + 1} of ${RUNS})`);
      const [r, line] = await onceRun(CLI, bucket, '');
      onces.push(r);
      s = line;
    }
    if (s === undefined) throw new Error('--runs must be at least 1');

    let idleNothingToDo, idleAfterShipping;
    if (IDLE) {
      console.error('scale: idle RSS of promship run');
      idleNothingToDo = await idleRss(env(bucket), 0);
      idleAfterShipping = await idleRss(env(join(runDir, 'bucket-idle')), 1);
    }

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
      floor,
      onces,
      baselineOnces,
      sourceChunkBytes,
      ...(idleNothingToDo && idleAfterShipping ? { idleNothingToDo, idleAfterShipping } : {}),
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

/** The median run of `once` by wall time (the one the table shows) and the fastest. */
function onceOf(m: Measured, runs = m.onces): { med: OnceRun; best: OnceRun } {
  const byTime = [...runs].sort((a, b) => a.seconds - b.seconds);
  return { med: byTime[Math.floor((byTime.length - 1) / 2)]!, best: byTime[0]! };
}

function formatRow(m: Measured): string {
  const f = fmt;
  const { source: src } = m;
  const o = onceOf(m).med;
  const idle =
    m.idleNothingToDo && m.idleAfterShipping
      ? `${f(m.idleNothingToDo.rssMiB)} / ${f(m.idleAfterShipping.rssMiB)} MiB`
      : 'not measured';
  return `| ${f(src.series)} × ${f(src.samples / src.series)} (${f(src.samples / 1e6, 1)} M) | ${f(o.shipMs / 1000, 2)} s | ${f(o.seconds, 2)} s | ${f(src.series / (o.shipMs / 1000))} | **${f(Math.max(...m.onces.map((r) => r.maxRssMiB)))} MiB** | ${idle} | ${f(src.promtool.seconds, 1)} s, ${f(src.promtool.maxRssMiB)} MiB | ${f(o.bytes / 2 ** 20, 1)} MiB | ${m.checks} |`;
}

/** `once` against the floor measured in the same run. */
function formatFloorRow(m: Measured, runs = m.onces, label = ''): string {
  const f = fmt;
  const { source: src, floor } = m;
  const { med, best } = onceOf(m, runs);
  const ns = (r: Run): string => f((r.cpuSeconds * 1e9) / src.samples);
  const walls = runs.map((r) => f(r.seconds, 2)).join(' / ');
  const prom = (r: Run): string =>
    `${f(r.promCpuSeconds, 2)} s, ${f(r.promRssAnonBeforeMiB)} → ${f(r.promRssAnonPeakMiB)} MiB`;
  return `| ${label}${f(src.series)} × ${f(src.samples / src.series)} at ${src.stepS}s (${f(src.samples / 1e6, 1)} M) | ${f(floor.seconds, 2)} s (CPU ${f(floor.cpuSeconds, 2)} s) | ${prom(floor)} | ${walls} s | **${f(med.seconds / floor.seconds, 2)}×** (best ${f(best.seconds / floor.seconds, 2)}×) | ${f(med.cpuSeconds, 2)} s, **${ns(med)} ns** (best ${ns(best)} ns) | ${prom(med)} | **${f(Math.max(...runs.map((r) => r.maxRssMiB)))} MiB** | ${f(med.chunkBytes / m.sourceChunkBytes, 2)}× (${f(med.chunkBytes / 2 ** 20, 1)} MiB) | ${f(src.promtool.seconds, 1)} s, ${f(src.promtool.maxRssMiB)} MiB |`;
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
      if (m.baselineOnces.length > 0) console.error(`scale: ${formatFloorRow(m, m.baselineOnces, 'baseline build: ')}`);
      console.error(`scale: ${formatFloorRow(m)}`);
    }

    const date = new Date().toISOString().slice(0, 10);
    const onceNode = IMAGE_NODE ? (await run(NODE_BIN, ['--version'])).stdout.trim() : process.version;
    const machine = `${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${onceNode}`;
    const rows = results.map(formatRow);
    const runEnvText = Object.entries(RUN_ENV)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    const table = [
      `### ${date}: scale, series per window (promship ${version})`,
      '',
      `Machine: ${machine}. Prometheus from Debian. One 2h window per size; \`promship once\` (built CLI${
        IMAGE_NODE
          ? `, as the image starts it: NODE_OPTIONS=\`${RUN_NODE_FLAGS.join(' ')}\`, ${runEnvText} and a warm compile cache`
          : NODE_FLAGS.length > 0
            ? `, \`node ${NODE_FLAGS.join(' ')}\` with ${runEnvText}, as the agent's runs and the image start it`
            : ', plain `node`'
      }) into a file bucket.`,
      '',
      '| series × samples each (samples) | ship window | `once` wall | series/s | `once` peak RSS | idle RSS of `run` (nothing to do / after shipping) | promtool create-blocks (time, peak RSS) | block size | checks |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      'Targets: peak RSS ≤ 200 MiB at 10k series, ≤ 1 GiB at 1M; idle ≤ 60 MiB. "ship window" is the shipped-block log line (read, build, upload); "`once` wall" adds process start and planning.',
      '',
      `Against the floor, in the same run (\`once\`: ${RUNS} run${RUNS === 1 ? '' : 's'}, median shown; Prometheus' CPU in 10 ms ticks and its RssAnon sampled every 10 ms, from /proc):`,
      '',
      "| series × samples each | floor: drain the stream (undici, best of 2 after a warm-up) | Prometheus during the floor: CPU, RssAnon | `once` wall (each run) | `once` ÷ floor | `once` CPU, per sample | Prometheus during `once`: CPU, RssAnon | `once` peak RSS | shipped chunk bytes ÷ Prometheus' | promtool create-blocks |",
      '|---|---|---|---|---|---|---|---|---|---|',
      ...results.flatMap((m) => [
        ...(m.baselineOnces.length > 0 ? [formatFloorRow(m, m.baselineOnces, 'baseline build: ')] : []),
        formatFloorRow(m),
      ]),
      '',
      `Load average when the run ended: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(', ')}.`,
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
