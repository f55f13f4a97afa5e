/**
 * The acceptance bucket of the fleet view, built for real: three promship clusters ship a test
 * Prometheus' history with `promship once` into one bucket (cluster `c`'s agent runs every second,
 * so once it stops its heartbeat is stale three seconds later), one label set is a sidecar's (blocks,
 * no ledger, no heartbeat), then one block of `a` is deleted and one block of `b` is copied in
 * under a new ULID. What each label set should show is read from the bucket directory itself.
 */
import { cp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ulid as newUlid } from 'ulidx';
import { filesWithSizes, readMeta, type MetaJson } from './blocks.ts';
import { runCli, type CliResult } from './cli.ts';
import { listBlockDirs } from './prometheus.ts';
import { startSource } from './source.ts';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface FleetScenario {
  bucketDir: string;
  env: Record<string, string>;
  /** Blocks per label key (`cluster_id` value), as on disk after the damage. */
  metas: () => Promise<Map<string, MetaJson[]>>;
  bytesOf: (ulid: string) => Promise<number>;
  deleted: MetaJson;
  duplicate: { original: string; copy: string };
  sidecar: string;
  /** Before the damage and before `c` and the sidecar exist: `fleet --json` right then. */
  healthyBefore: CliResult;
}

export async function buildFleetScenario(t: Teardown, dir: string): Promise<FleetScenario> {
  const source = await startSource(t, dir, { external: { env: 'test' } });
  const bucketDir = join(dir, 'bucket');
  const env = { PROMSHIP_BUCKET: `file://${bucketDir}` };
  const ship = async (cluster: string, extra: Record<string, string> = {}): Promise<void> => {
    const r = await runCli(['once'], {
      ...env,
      PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
      PROMSHIP_CLUSTER_ID: cluster,
      PROMSHIP_DATA_DIR: join(dir, `data-${cluster}`),
      PROMSHIP_MAX_BACKFILL: '1d',
      ...extra,
    });
    if (r.code !== 0) throw new Error(`once for ${cluster} exited ${r.code}: ${r.stderr.slice(0, 500)}`);
  };
  await ship('a');
  await ship('b');
  const healthyBefore = await runCli(['fleet', '--json'], env);
  await ship('c', { PROMSHIP_SCHEDULE: '* * * * * *' });

  const metasNow = async (): Promise<MetaJson[]> =>
    Promise.all((await listBlockDirs(bucketDir)).map((id) => readMeta(join(bucketDir, id))));
  const all = await metasNow();
  const of = (c: string): MetaJson[] =>
    all.filter((m) => m.thanos.labels.cluster_id === c).sort((x, y) => x.minTime - y.minTime);
  if (of('a').length !== 3 || of('b').length !== 3)
    throw new Error(`expected 3 blocks per cluster, got ${all.length} in all`);

  // A sidecar's label set: one block with labels no promship agent writes.
  const sidecar = newUlid();
  const src = of('a')[2]!;
  await cp(join(bucketDir, src.ulid), join(bucketDir, sidecar), { recursive: true });
  await writeFile(
    join(bucketDir, sidecar, 'meta.json'),
    JSON.stringify({
      ...src,
      ulid: sidecar,
      compaction: { level: 1, sources: [sidecar] },
      thanos: { ...src.thanos, labels: { cluster_id: 'sidecar-x', env: 'test', region: 'eu' }, source: 'sidecar' },
    }),
  );
  // The middle block of `a` deleted: its window is a gap.
  const deleted = of('a')[1]!;
  await rm(join(bucketDir, deleted.ulid), { recursive: true });
  // A duplicate of `b`'s newest block: an overlap.
  const original = of('b')[2]!.ulid;
  const copy = newUlid();
  await cp(join(bucketDir, original), join(bucketDir, copy), { recursive: true });
  const m = await readMeta(join(bucketDir, copy));
  await writeFile(
    join(bucketDir, copy, 'meta.json'),
    JSON.stringify({ ...m, ulid: copy, compaction: { level: 1, sources: [copy] } }),
  );

  return {
    bucketDir,
    env,
    metas: async () => {
      const out = new Map<string, MetaJson[]>();
      for (const meta of await metasNow()) {
        const k = meta.thanos.labels.cluster_id ?? '';
        out.set(k, [...(out.get(k) ?? []), meta]);
      }
      return out;
    },
    bytesOf: async (ulid) => [...(await filesWithSizes(join(bucketDir, ulid))).values()].reduce((s, n) => s + n, 0),
    deleted,
    duplicate: { original, copy },
    sidecar,
    healthyBefore,
  };
}
