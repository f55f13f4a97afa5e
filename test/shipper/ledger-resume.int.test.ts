/**
 * The ledger after a crash, set up exactly: a window claimed under a ULID whose upload was cut
 * off (chunks in the bucket, no meta.json). While the ULID is young, the next run resumes the
 * upload under the same ULID (removing the stale objects first), so no second partial block
 * appears; an old ULID is not resumed, because Thanos times partial-upload cleanup by ULID age.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { ulid as newUlid } from 'ulidx';
import { filesWithSizes, readMeta } from '../helpers/blocks.ts';
import { logLines, runCli } from '../helpers/cli.ts';
import { listBlockDirs } from '../helpers/prometheus.ts';
import { H, startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('an interrupted upload is resumed under its claimed ULID only while that ULID is young', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir, { windows: 2 });
  const windows = [...source.windowsWithData(2 * H)].sort((a, b) => a - b);
  t.equal(windows.length, 2);
  const [w0, w1] = windows as [number, number];
  const young = newUlid(Date.now() - 10 * 60_000);
  const old = newUlid(Date.now() - 7 * H);
  const bucketDir = join(dir, 'bucket');

  // What a crash leaves: the ledger's claims, and stale partial objects under each claimed ULID.
  const stale = 'stale bytes of an interrupted upload';
  for (const id of [young, old]) {
    await mkdir(join(bucketDir, id, 'chunks'), { recursive: true });
    await writeFile(join(bucketDir, id, 'chunks', '000001'), stale);
    await writeFile(join(bucketDir, id, 'chunks', '000002'), stale);
  }
  const claimed = (start: number, ulid: string) => ({
    start,
    end: start + 2 * H,
    state: 'claimed',
    ulid,
    claimedAt: Date.now() - 60_000,
    attempts: 0,
  });
  await mkdir(join(bucketDir, 'promship', 'cluster-two'), { recursive: true });
  await writeFile(
    join(bucketDir, 'promship', 'cluster-two', 'ledger.json'),
    JSON.stringify({
      version: 1,
      cluster: 'cluster-two',
      labels: source.external,
      updatedAt: Date.now() - 60_000,
      windows: [claimed(w0, young), claimed(w1, old)],
    }),
  );

  const run = await runCli(['once'], {
    PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
    PROMSHIP_BUCKET: `file://${bucketDir}`,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_MAX_BACKFILL: '1d',
  });
  t.equal(run.code, 0, run.stderr.slice(0, 300));
  const logs = logLines(run.stdout);
  const resumed = logs.filter((l) => l.msg === 'resuming an interrupted upload under its claimed ULID');
  t.equal(resumed.length, 1, 'one upload resumed');
  t.equal(resumed[0]?.ulid, young, 'the young claim');
  t.equal(resumed[0]?.objects, 2, 'its two stale objects removed first');

  const ids = await listBlockDirs(bucketDir);
  const complete: string[] = [];
  for (const id of ids) if ((await filesWithSizes(join(bucketDir, id))).has('meta.json')) complete.push(id);
  t.equal(complete.length, 2, 'two complete blocks');
  t.ok(complete.includes(young), 'the young claim became the block of its window');
  const youngMeta = await readMeta(join(bucketDir, young));
  t.equal(youngMeta.minTime, w0);
  const youngFiles = await filesWithSizes(join(bucketDir, young));
  t.same(
    [...youngFiles.keys()].sort(),
    [...(youngMeta.thanos.files ?? []).map((f) => f.rel_path), 'meta.json']
      .filter((v, i, a) => a.indexOf(v) === i)
      .sort(),
    'no stale object survived beside the new ones',
  );
  t.not(await readFile(join(bucketDir, young, 'chunks', '000001'), 'utf8'), stale);

  t.notOk(complete.includes(old), 'the old claim is not resumed');
  const other = complete.find((id) => id !== young)!;
  t.equal((await readMeta(join(bucketDir, other))).minTime, w1, 'its window shipped under a fresh ULID');
  t.ok(ids.includes(old), "the old partial upload is left for Thanos' cleanup");
});
