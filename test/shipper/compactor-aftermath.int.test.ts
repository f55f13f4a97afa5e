/**
 * What the Thanos compactor later does to shipped blocks must never make promship ship a window
 * again: raw retention deletes raw blocks (often after 7d, well inside the 15d backfill), keeping
 * their downsampled blocks, or nothing at all when every resolution has expired. A raw block
 * shipped again there would duplicate data and be downsampled again into blocks that overlap the
 * old ones, which halts the compactor.
 */
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { logLines, runCli } from '../helpers/cli.ts';
import { promtoolDump } from '../helpers/prometheus.ts';
import { H, startSource, type Source } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

interface Meta {
  ulid: string;
  minTime: number;
  maxTime: number;
  compaction: { level: number; sources: string[] };
  thanos: { labels: Record<string, string>; downsample: { resolution: number }; source: string };
}

async function blocksIn(bucket: string): Promise<Meta[]> {
  const out: Meta[] = [];
  for (const name of await readdir(bucket)) {
    if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(name)) continue;
    out.push(JSON.parse(await readFile(join(bucket, name, 'meta.json'), 'utf8')) as Meta);
  }
  return out.sort((a, b) => a.minTime - b.minTime);
}

/** A source Prometheus with `windows` 2h windows of history, a file bucket, and `once`'s env. */
async function fileBucketSetup(
  t: Test,
  windows: number,
): Promise<{ source: Source; bucket: string; env: Record<string, string> }> {
  const dir = await tempDir(t);
  const source = await startSource(t, dir, { windows });
  const bucket = join(dir, 'bucket');
  const env = {
    PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
    PROMSHIP_BUCKET: `file://${bucket}`,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_MAX_BACKFILL: '1d',
  };
  return { source, bucket, env };
}

t.test('windows whose raw blocks the compactor deleted are not shipped again', async (t) => {
  const { source, bucket, env } = await fileBucketSetup(t, 4);
  const first = await runCli(['once'], env);
  t.equal(first.code, 0, `first run exits 0 (stderr: ${first.stderr.slice(0, 300)})`);
  const shipped = await blocksIn(bucket);
  t.equal(shipped.length, 4, 'four 2h windows shipped (the first one partly filled)');

  // The compactor's work, days later: the two oldest raw blocks compacted and downsampled to 5m,
  // then deleted by raw retention; the third one deleted at every resolution.
  const [a, b, c] = shipped as [Meta, Meta, Meta];
  const downsampled = '01JD0000000000000000000DS5';
  await mkdir(join(bucket, downsampled, 'chunks'), { recursive: true });
  for (const rel of ['index', 'chunks/000001'])
    await writeFile(join(bucket, downsampled, rel), await readFile(join(bucket, a.ulid, rel)));
  const meta: Meta = {
    ...a,
    ulid: downsampled,
    minTime: a.minTime,
    maxTime: b.maxTime,
    compaction: { level: 2, sources: [a.ulid, b.ulid] },
    thanos: { ...a.thanos, downsample: { resolution: 300_000 }, source: 'compactor' },
  };
  await writeFile(join(bucket, downsampled, 'meta.json'), JSON.stringify(meta));
  for (const gone of [a, b, c]) await rm(join(bucket, gone.ulid), { recursive: true });

  const second = await runCli(['once'], env);
  t.equal(second.code, 0, 'the second run exits 0');
  t.same(
    logLines(second.stdout).filter((l) => l.msg === 'shipped block'),
    [],
    'and ships nothing',
  );
  t.same(
    (await blocksIn(bucket)).map((m) => m.ulid),
    [downsampled, ...shipped.slice(3).map((m) => m.ulid)],
    'the bucket holds what the compactor left, nothing more',
  );

  const status = await runCli(['status', '--json'], env);
  t.equal(status.code, 0);
  // Only windows holding data: an empty one can fall due between `once` and `status` (the clock
  // crossing a window's end plus the ship delay), and is rightly pending then.
  const withData = source.windowsWithData(2 * H);
  t.same(
    (JSON.parse(status.stdout) as { pending: { start: number }[] }).pending.filter((w) => withData.has(w.start)),
    [],
    'status counts no window with data as pending',
  );

  const ledger = JSON.parse(await readFile(join(bucket, 'promship', 'cluster-two', 'ledger.json'), 'utf8')) as {
    shipped: [number, number][];
  };
  t.same(ledger.shipped, [[a.minTime, shipped.at(-1)!.maxTime]], 'the ledger remembers one shipped range');
});

t.test('after a change to a longer block duration, only what the short blocks left out is shipped', async (t) => {
  const { source, bucket, env } = await fileBucketSetup(t, 2);
  // 30m blocks, with a ship delay that leaves the last 90 minutes of data for later.
  const delayMinutes = Math.ceil((Date.now() - (source.dataEnd - H)) / 60_000) + 1;
  const first = await runCli(['once'], {
    ...env,
    PROMSHIP_BLOCK_DURATION: '30m',
    PROMSHIP_SHIP_DELAY: `${delayMinutes}m`,
  });
  t.equal(first.code, 0, `the 30m run exits 0 (stderr: ${first.stderr.slice(0, 300)})`);
  const short = await blocksIn(bucket);
  t.equal(short.at(-1)!.maxTime, source.dataEnd - 90 * 60_000, 'the 30m blocks end 90 minutes before the data');

  const second = await runCli(['once'], { ...env, PROMSHIP_BLOCK_DURATION: '2h' });
  t.equal(second.code, 0, 'the 2h run exits 0');
  const added = (await blocksIn(bucket)).filter((m) => !short.some((s) => s.ulid === m.ulid));
  t.same(
    added.map((m) => [m.minTime, m.maxTime]),
    [[source.dataEnd - 90 * 60_000, source.dataEnd]],
    'one block for the part of the last 2h window the 30m blocks left out',
  );

  const all = await blocksIn(bucket);
  for (let i = 1; i < all.length; i++)
    t.ok(all[i]!.minTime >= all[i - 1]!.maxTime, `no overlap between ${all[i - 1]!.ulid} and ${all[i]!.ulid}`);
  t.same(
    await promtoolDump(bucket),
    source.dump,
    'promtool dump of the bucket equals the source: nothing lost, nothing twice',
  );
});
