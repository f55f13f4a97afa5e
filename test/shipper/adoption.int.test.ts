/**
 * Adoption of a bucket that a Thanos sidecar already filled: blocks made by promtool from the
 * same data, with a sidecar's Thanos meta (thanos.labels = the cluster's external labels,
 * source: sidecar), cover some windows. promship must skip exactly those windows (saying so),
 * ship the rest, never overlap a sidecar block, and together they must hold exactly the source.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { generateHistory } from '../../src/demo/history.ts';
import { bucketTarget } from '../helpers/bucket-targets.ts';
import { inspectBucket } from '../helpers/bucket-inspector.ts';
import { logLines, runCli } from '../helpers/cli.ts';
import { createBlocksFromOpenMetrics, listBlockDirs } from '../helpers/prometheus.ts';
import { checkShipped } from '../helpers/shipped-checks.ts';
import { M, startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

const BLOCK = 30 * M;

t.test('blocks a sidecar already uploaded are adopted: their windows are skipped, the rest ship', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir, { windows: 4 });
  const target = await bucketTarget(t, 'fauxqs', join(dir, 'bucket'));
  const bucket = inspectBucket(t, target);

  // The sidecar's blocks: promtool from the same generated history, 2h blocks.
  const sidecarDir = join(dir, 'sidecar');
  await createBlocksFromOpenMetrics(
    generateHistory({ start: source.dataStart, end: source.dataEnd, seed: 7 }),
    sidecarDir,
  );
  const all = await listBlockDirs(sidecarDir);
  const metas = await Promise.all(
    all.map(async (id) => ({
      id,
      meta: JSON.parse(await readFile(join(sidecarDir, id, 'meta.json'), 'utf8')) as Record<string, unknown> & {
        minTime: number;
        maxTime: number;
      },
    })),
  );
  metas.sort((a, b) => a.meta.minTime - b.meta.minTime);
  t.ok(metas.length >= 4, `promtool made ${metas.length} blocks`);
  // The first (partly filled) and the third: adopted ranges with a gap between them.
  const adopted = [metas[0]!, metas[2]!];
  for (const { id, meta } of adopted) {
    const thanosMeta = {
      ...meta,
      thanos: { labels: source.external, downsample: { resolution: 0 }, source: 'sidecar', version: 1 },
    };
    const files = await listFiles(join(sidecarDir, id));
    for (const rel of files)
      if (rel !== 'meta.json' && rel !== 'tombstones')
        await bucket.put(`${id}/${rel}`, await readFile(join(sidecarDir, id, rel)));
    await bucket.put(`${id}/meta.json`, JSON.stringify(thanosMeta, null, 2));
  }
  const adoptedIds = new Set(adopted.map((a) => a.id));

  const env = {
    ...target.env,
    PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_BLOCK_DURATION: '30m',
    PROMSHIP_MAX_BACKFILL: '2d',
  };
  const run = await runCli(['once'], env);
  t.equal(run.code, 0, `exit 0 (${run.stderr.slice(0, 300)})`);
  const logs = logLines(run.stdout);
  const skipped = logs.find((l) => l.msg === 'skipping windows already covered by blocks in the bucket');
  t.ok(skipped, "a 'skipping windows already covered' line");
  t.same(new Set(skipped?.blocks as string[]), adoptedIds, 'naming the sidecar blocks');
  // Every 30m window that overlaps an adopted block, counted from the source data alone.
  const coveredWindows = [...source.windowsWithData(BLOCK)].filter((w) =>
    adopted.some(({ meta }) => meta.minTime < w + BLOCK && w < meta.maxTime),
  );
  t.equal(
    skipped?.windows,
    coveredWindows.length,
    'as many windows skipped as 30m windows of data overlap the sidecar blocks',
  );

  const { ours } = await checkShipped(t, bucket, source, { blockMs: BLOCK, dir, foreign: adoptedIds });
  const shipped = ours.filter((m) => !adoptedIds.has(m.ulid));
  t.equal(shipped.length, logs.filter((l) => l.msg === 'shipped block').length, 'one shipped line per new block');
  t.ok(shipped.length > 0, 'the windows outside the sidecar blocks were shipped');
  t.ok(
    shipped.every(
      (m) => m.minTime >= 0 && !adopted.some(({ meta }) => m.minTime < meta.maxTime && meta.minTime < m.maxTime),
    ),
    'no shipped block overlaps a sidecar block',
  );

  // A second agent with an empty data dir finds everything covered.
  const again = await runCli(['once'], { ...env, PROMSHIP_DATA_DIR: join(dir, 'data-2') });
  t.equal(again.code, 0);
  t.equal(logLines(again.stdout).filter((l) => l.msg === 'shipped block').length, 0, 'nothing is shipped twice');
  t.comment(
    `sidecar blocks adopted: ${adopted.length} (${adopted.map((a) => `${new Date(a.meta.minTime).toISOString()}..${new Date(a.meta.maxTime).toISOString()}`).join(', ')}); shipped: ${shipped.length}`,
  );
});

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}
