/**
 * A source Prometheus with a few windows of generated history, as the end-to-end tests need it:
 * promtool makes the blocks, Debian's Prometheus serves them with external labels, and the
 * promtool dump of the source is kept as the truth to compare shipped blocks with.
 */
import { join } from 'node:path';
import { generateHistory } from '../../src/demo/history.ts';
import { createBlocksFromOpenMetrics, promtoolDump, startPrometheus, type PrometheusServer } from './prometheus.ts';

export const H = 3_600_000;
export const M = 60_000;

export interface Source {
  prometheus: PrometheusServer;
  dump: string[];
  dataStart: number;
  dataEnd: number;
  external: Record<string, string>;
  /** Start times of the windows of `durationMs` that hold samples. */
  windowsWithData(durationMs: number): Set<number>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function startSource(
  t: Teardown,
  dir: string,
  opts: { windows?: number; external?: Record<string, string>; seed?: number; scale?: number } = {},
): Promise<Source> {
  const aligned = Math.floor(Date.now() / (2 * H)) * (2 * H);
  const windows = opts.windows ?? 3;
  // The first window only partly filled, the last ending 2h before the current 2h boundary.
  const dataStart = aligned - (windows + 1) * 2 * H + 37 * M;
  const dataEnd = aligned - 2 * H;
  const external = opts.external ?? { cluster_id: 'cluster-two', env: 'test' };
  const data = join(dir, 'source');
  await createBlocksFromOpenMetrics(
    generateHistory({ start: dataStart, end: dataEnd, seed: opts.seed ?? 7, scale: opts.scale ?? 1 }),
    data,
  );
  const dump = await promtoolDump(data);
  const prometheus = await startPrometheus({ dataDir: data, externalLabels: external });
  t.teardown(() => prometheus.stop());
  return {
    prometheus,
    dump,
    dataStart,
    dataEnd,
    external,
    windowsWithData(durationMs) {
      const out = new Set<number>();
      for (const line of dump)
        out.add(Math.floor(Number(line.slice(line.lastIndexOf(' ') + 1)) / durationMs) * durationMs);
      return out;
    },
  };
}
