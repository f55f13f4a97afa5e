/**
 * The acceptance test of the core pipeline, end to end with real components: generated history
 * → promtool blocks → Debian Prometheus (with external labels) → `promship once` → file bucket,
 * then promtool and a second Prometheus judge what was shipped against the source.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { decodeTime } from 'ulidx';
import { generateHistory } from '../../src/demo/history.ts';
import { copyBlocks, filesWithSizes, firstDifference, readMeta } from '../helpers/blocks.ts';
import { logLines, runCli } from '../helpers/cli.ts';
import {
  createBlocksFromOpenMetrics,
  listBlockDirs,
  promtoolAnalyze,
  promtoolDump,
  startPrometheus,
  type PrometheusServer,
} from '../helpers/prometheus.ts';
import { bucketTarget, type TargetKind } from '../helpers/bucket-targets.ts';
import { tempDir } from '../helpers/tmp.ts';

const H = 3_600_000;
const M = 60_000;
const aligned = Math.floor(Date.now() / (2 * H)) * (2 * H);
// Three 2h windows of data, the first only partly filled, all complete well before now.
const dataStart = aligned - 8 * H + 37 * M;
const dataEnd = aligned - 2 * H;
const external = { cluster_id: 'cluster-two', env: 'test' };

const dir = await tempDir(t);
const sourceData = join(dir, 'source');
await createBlocksFromOpenMetrics(generateHistory({ start: dataStart, end: dataEnd, seed: 7 }), sourceData);
const sourceDump = await promtoolDump(sourceData);
const prometheus = await startPrometheus({ dataDir: sourceData, externalLabels: external });
t.teardown(() => prometheus.stop());

async function query(server: PrometheusServer, q: string, time: number): Promise<string[]> {
  const res = await fetch(`${server.url}/api/v1/query?query=${encodeURIComponent(q)}&time=${time / 1000}`);
  const body = (await res.json()) as { status: string; data: { result: { metric: unknown; value: unknown }[] } };
  if (body.status !== 'success') throw new Error(`query ${q} failed`);
  return body.data.result.map((r) => JSON.stringify([r.metric, r.value])).sort();
}

const cases: [TargetKind, string][] = [
  ['file', '2h'],
  ['file', '30m'],
  ['s3rver', '2h'],
  ['fauxqs', '30m'],
  ['gcs', '2h'],
  ['gcs-objstore', '30m'],
  ['azurite', '2h'],
  ['azurite-objstore', '30m'],
];

for (const [kind, blockDuration] of cases) {
  t.test(`promship once ships exactly the source (${kind} bucket, block duration ${blockDuration})`, async (t) => {
    const durationMs = blockDuration === '2h' ? 2 * H : 30 * M;
    const name = `${kind}-${blockDuration}`;
    const target = await bucketTarget(t, kind, join(dir, `bucket-${name}`));
    const env = {
      ...target.env,
      PROMSHIP_PROMETHEUS_URL: prometheus.url,
      PROMSHIP_DATA_DIR: join(dir, `data-${name}`),
      PROMSHIP_BLOCK_DURATION: blockDuration,
      PROMSHIP_MAX_BACKFILL: '1d',
    };
    const run = await runCli(['once'], env);
    t.equal(run.code, 0, `exit 0 (stderr: ${run.stderr.slice(0, 500)})`);
    for (const secret of target.secrets)
      t.notOk(run.stdout.includes(secret) || run.stderr.includes(secret), 'no secret in the output');

    // What is in the bucket, fetched independently of promship's bucket code.
    const bucket = join(dir, `downloaded-${name}`);
    await target.download(bucket);
    const ids = await listBlockDirs(bucket);
    const shippedLogs = logLines(run.stdout).filter((l) => l.msg === 'shipped block');
    t.equal(shippedLogs.length, ids.length, 'one log line per shipped block');
    for (const l of shippedLogs) {
      for (const k of ['window', 'ulid', 'series', 'samples', 'bytes']) t.ok(k in l, `log line has ${k}`);
    }
    const expectedWindows = new Set<number>();
    for (const line of sourceDump)
      expectedWindows.add(Math.floor(Number(line.slice(line.lastIndexOf(' ') + 1)) / durationMs) * durationMs);
    t.equal(ids.length, expectedWindows.size, 'one block per window with data');

    const ranges: [number, number][] = [];
    for (const id of ids) {
      const blockDir = join(bucket, id);
      const meta = await readMeta(blockDir);
      t.equal(meta.ulid, id, 'directory name is the ULID');
      const ulidTime = decodeTime(id);
      t.ok(ulidTime >= run.startedAt && ulidTime <= run.endedAt, 'ULID made during the run');
      t.same(meta.thanos.labels, external, 'thanos.labels are the external labels');
      t.equal(meta.thanos.downsample.resolution, 0);
      t.equal(meta.thanos.source, 'sidecar');
      t.same(meta.compaction, { level: 1, sources: [id] });
      t.equal(meta.version, 1);
      const windowStart = Math.floor(meta.minTime / durationMs) * durationMs;
      t.ok(
        meta.maxTime <= windowStart + durationMs && meta.minTime < meta.maxTime,
        'inside one aligned window, maxTime exclusive',
      );
      t.ok(expectedWindows.has(windowStart), 'a window that has data');
      ranges.push([meta.minTime, meta.maxTime]);

      const files = await filesWithSizes(blockDir);
      const segments = [...files.keys()].filter((f) => f.startsWith('chunks/')).sort();
      t.same(
        meta.thanos.segment_files,
        segments.map((s) => s.slice('chunks/'.length)),
        'segment_files lists the segments',
      );
      for (const f of meta.thanos.files ?? []) {
        if (f.rel_path === 'meta.json') continue;
        t.equal(f.size_bytes, files.get(f.rel_path), `size of ${f.rel_path} matches`);
      }
      const listed = new Set((meta.thanos.files ?? []).map((f) => f.rel_path));
      for (const f of files.keys()) if (f !== 'meta.json') t.ok(listed.has(f), `${f} is listed in meta.json`);

      await promtoolAnalyze(bucket, id); // throws if promtool cannot read the block
    }
    ranges.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < ranges.length; i++) t.ok(ranges[i]![0] >= ranges[i - 1]![1], 'no two blocks overlap');

    const copy = join(dir, `copy-${name}`);
    await copyBlocks(bucket, copy);
    const shippedDump = await promtoolDump(copy);
    t.equal(shippedDump.length, sourceDump.length, 'same number of samples');
    t.equal(
      firstDifference(sourceDump, shippedDump),
      undefined,
      'promtool dump of shipped blocks equals the source, line for line',
    );

    const shipped = await startPrometheus({ dataDir: copy });
    t.teardown(() => shipped.stop());
    for (const time of [dataStart + 30 * M, aligned - 5 * H + 7 * M, dataEnd - 1000]) {
      for (const q of [
        'demo_random_value',
        'demo_special_value',
        'rate(demo_http_requests_total[10m])',
        'count by (__name__) ({__name__=~"demo_.+"})',
        'demo_wide_series',
        'max_over_time(demo_sparse_value[2h])',
      ]) {
        t.same(
          await query(shipped, q, time),
          await query(prometheus, q, time),
          `${q} at ${new Date(time).toISOString()}`,
        );
      }
    }
    await shipped.stop();

    // The bucket alone says what was shipped: a new pod with an empty data dir ships nothing.
    await rm(env.PROMSHIP_DATA_DIR, { recursive: true, force: true });
    const again = await runCli(['once'], env);
    t.equal(again.code, 0);
    const after = join(dir, `after-${name}`);
    await target.download(after);
    t.same(await listBlockDirs(after), ids, 'second run writes no block');
    t.equal(logLines(again.stdout).filter((l) => l.msg === 'shipped block').length, 0);
  });
}
