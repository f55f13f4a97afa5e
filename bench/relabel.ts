/**
 * Relabelling on a generated secondary-cluster mix (what a kube-prometheus-stack Prometheus holds:
 * node-exporter, cAdvisor, the kubelet, kube-state-metrics, CoreDNS, Prometheus itself, the API server,
 * recording rules, plus the Kubecost exporter and applications, with real metric names; see
 * test/helpers/cluster-mix.ts): bytes shipped and ship time with PROMSHIP_RELABEL_PRESET=kubecost
 * against shipping everything, and the cost of rules that keep everything (so the same data is
 * written) at about 250k series.
 *
 * One 10m window at the chart's scrape intervals (30 s; cAdvisor 10 s): 20 or 60 samples per series.
 * A real 2h block holds 12× more samples per series; promtool would need about 40 GB of OpenMetrics
 * text to build that at this size, so the window stays short (the index weighs more than in a 2h block).
 *
 *   npm run build && npm run bench:relabel  # BENCH_NODES=18 BENCH_PODS=30 BENCH_RUNS=2 by default
 *   BENCH_WORK=DIR npm run bench:relabel    # keeps the generated source in DIR and reuses it
 *
 * Each run ships with the built CLI (dist/cli.js), as users run it. The first two scenarios swap
 * places every other round: the one that follows a full read of the window found Prometheus still
 * busy with it, which alone put one scenario up to 10 % behind the other in one order.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { clusterMixOpenMetrics, mixSeriesCount } from '../test/helpers/cluster-mix.ts';
import { startPrometheus } from '../test/helpers/prometheus.ts';
import { timed } from './lib.ts';
import { KEEP_ALL_RULES } from './relabel-rules.ts';

const run = promisify(execFile);
const nodes = Number(process.env.BENCH_NODES ?? 18);
const pods = Number(process.env.BENCH_PODS ?? 30);
const runs = Number(process.env.BENCH_RUNS ?? 2);
const STEP = 30_000;
const CADVISOR_STEP = 10_000;
const WINDOW = 10 * 60_000;
const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');

/** The mix as a Prometheus data directory under `dir`, generated once per size and reused. */
async function source(dir: string, series: number): Promise<{ dataDir: string; start: number }> {
  const dataDir = join(dir, `source-${nodes}x${pods}`);
  const stamp = join(dataDir, 'promship-bench.json');
  if (existsSync(stamp)) {
    const saved = JSON.parse(await readFile(stamp, 'utf8')) as { start: number; series: number };
    if (saved.series === series) {
      console.error(`mix: ${series} series, reusing ${dataDir}`);
      return { dataDir, start: saved.start };
    }
  }
  await rm(dataDir, { recursive: true, force: true });
  const start = Math.floor(Date.now() / (2 * 3_600_000)) * 2 * 3_600_000 - 2 * 3_600_000;
  const om = join(dir, 'mix.om');
  const out = createWriteStream(om);
  for (const piece of clusterMixOpenMetrics({
    nodes,
    podsPerNode: pods,
    start,
    end: start + WINDOW,
    stepMs: STEP,
    cadvisorStepMs: CADVISOR_STEP,
  })) {
    if (!out.write(piece)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const t0 = Date.now();
  await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', om, dataDir], { maxBuffer: 64 << 20 });
  await rm(om);
  await writeFile(stamp, JSON.stringify({ start, series }));
  console.error(
    `mix: ${series} series × ${WINDOW / STEP} samples (cAdvisor ${WINDOW / CADVISOR_STEP}); promtool took ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { dataDir, start };
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const keep = process.env.BENCH_WORK;
  if (keep !== undefined) await mkdir(keep, { recursive: true });
  const dir = keep ?? (await mkdtemp(join(tmpdir(), 'promship-bench-relabel-')));
  try {
    const series = mixSeriesCount({ nodes, podsPerNode: pods });
    const { dataDir, start } = await source(dir, series);
    // Every window since the data's start is due, however long ago it was generated.
    const backfillDays = Math.ceil((Date.now() - start) / 86_400_000) + 1;
    const prom = await startPrometheus({ dataDir, externalLabels: { cluster_id: 'bench' } });
    await writeFile(join(dir, 'keep-all.yaml'), KEEP_ALL_RULES);
    const scenarios: Record<string, Record<string, string>> = {
      everything: {},
      'keep-all rules': { PROMSHIP_RELABEL_CONFIG_FILE: join(dir, 'keep-all.yaml') },
      kubecost: { PROMSHIP_RELABEL_PRESET: 'kubecost' },
    };
    const results: Record<
      string,
      {
        seconds: number[];
        shipMs: number[];
        cpu: number[];
        bytes: number;
        series: number;
        samples: number;
        rss: number[];
      }
    > = {};
    try {
      for (let r = 0; r < runs; r++) {
        const order = Object.entries(scenarios);
        if (r % 2 === 1) [order[0], order[1]] = [order[1]!, order[0]!];
        for (const [name, env] of order) {
          const tag = `${name.replace(/\W+/g, '-')}-${r}`;
          const res = await timed(process.execPath, [CLI, 'once'], {
            PROMSHIP_PROMETHEUS_URL: prom.url,
            PROMSHIP_BUCKET: `file://${join(dir, `bucket-${tag}`)}`,
            PROMSHIP_CLUSTER_ID: 'bench',
            PROMSHIP_DATA_DIR: join(dir, `data-${tag}`),
            PROMSHIP_BLOCK_DURATION: '10m',
            PROMSHIP_MAX_BACKFILL: `${backfillDays}d`,
            PROMSHIP_LOG_LEVEL: 'info',
            ...env,
          });
          const line = res.stdout
            .split('\n')
            .filter((l) => l.includes('"shipped block"'))
            .map((l) => JSON.parse(l) as { bytes: number; durationMs: number; series: number; samples: number })[0];
          if (!line) throw new Error(`${name}: no block shipped\n${res.stdout.slice(-2000)}`);
          const acc = (results[name] ??= {
            seconds: [],
            shipMs: [],
            cpu: [],
            bytes: line.bytes,
            series: line.series,
            samples: line.samples,
            rss: [],
          });
          acc.seconds.push(res.seconds);
          acc.shipMs.push(line.durationMs);
          acc.cpu.push(res.cpuSeconds);
          acc.rss.push(res.maxRssMiB);
          console.error(
            `${name} run ${r}: ${line.durationMs} ms to build+upload, ${res.seconds} s wall, ${line.bytes} bytes, ${line.series} series`,
          );
          await rm(join(dir, `bucket-${tag}`), { recursive: true, force: true });
          await rm(join(dir, `data-${tag}`), { recursive: true, force: true });
        }
      }
    } finally {
      await prom.stop();
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const all = results.everything!;
    const rows = Object.entries(results).map(([name, r]) => ({
      scenario: name,
      series: r.series,
      samples: r.samples,
      bytes: r.bytes,
      bytesVsEverything: +(all.bytes / r.bytes).toFixed(2),
      shipMsMedian: median(r.shipMs),
      shipMsAll: r.shipMs,
      cpuSecondsAll: r.cpu,
      wallSecondsMedian: median(r.seconds),
      cpuSecondsMedian: median(r.cpu),
      peakRssMiB: Math.round(Math.max(...r.rss)),
    }));
    console.log(
      JSON.stringify(
        {
          date: new Date().toISOString(),
          sourceSeries: series,
          samplesPerSeries: { default: WINDOW / STEP, cadvisor: WINDOW / CADVISOR_STEP },
          rows,
        },
        null,
        2,
      ),
    );
  } finally {
    if (keep === undefined) await rm(dir, { recursive: true, force: true });
  }
}

await main();
