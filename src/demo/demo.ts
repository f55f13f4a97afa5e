/**
 * `promship demo`: the whole path on one machine, no cluster needed. Generates a few hours of
 * awkward history, lets promtool turn it into blocks, starts a local Prometheus on them (with a
 * cluster_id external label, as on a real cluster), ships every window into a local directory
 * bucket, and prints what landed there.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../app.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { formatWindow } from '../series.ts';
import { generateHistory } from './history.ts';
import { createBlocksFromOpenMetrics, startPrometheus } from './local-prometheus.ts';

const TWO_HOURS = 2 * 3_600_000;

export async function runDemo(
  config: Config,
  logger: Logger,
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const work = await mkdtemp(join(tmpdir(), 'promship-demo-'));
  const aligned = Math.floor(Date.now() / TWO_HOURS) * TWO_HOURS;
  // Three 2h windows ending at least 2h ago, the first only partly filled.
  const start = aligned - 4 * TWO_HOURS + 37 * 60_000;
  const end = aligned - TWO_HOURS;
  const clusterId = config.clusterId ?? 'demo-cluster';
  out.write(
    `promship demo: generating history ${new Date(start).toISOString()} – ${new Date(end).toISOString()} in ${work}\n`,
  );
  await createBlocksFromOpenMetrics(generateHistory({ start, end }), join(work, 'prometheus'));
  const prometheus = await startPrometheus({
    dataDir: join(work, 'prometheus'),
    externalLabels: { [config.clusterLabel]: clusterId },
  });
  out.write(
    `promship demo: Prometheus with external label ${config.clusterLabel}="${clusterId}" at ${prometheus.url}\n`,
  );
  const bucketDir = join(work, 'bucket');
  const demoConfig: Config = {
    ...config,
    prometheusUrl: prometheus.url,
    bucket: config.bucket ?? { kind: 'file', dir: bucketDir },
    dataDir: join(work, 'data'),
    clusterId,
    maxBackfill: Math.max(config.maxBackfill, 6 * TWO_HOURS),
  };
  try {
    const app = await createApp(demoConfig, logger);
    try {
      const summary = await app.shipper.runOnce({ ignoreBackoff: true });
      out.write(`\nShipped ${summary.shipped.length} block(s) into ${app.bucket.description}:\n`);
      out.write(`${['window', 'ULID', 'series', 'samples', 'bytes'].join('\t')}\n`);
      for (const b of summary.shipped) {
        out.write(`${[formatWindow(b.window), b.ulid, b.series, b.samples, b.bytes].join('\t')}\n`);
      }
      if (demoConfig.bucket?.kind === 'file') {
        out.write(`\nInspect it with: promtool tsdb list ${demoConfig.bucket.dir}\n`);
      }
      return summary.failed.length > 0 ? 1 : 0;
    } finally {
      await app.close();
    }
  } finally {
    await prometheus.stop();
  }
}
