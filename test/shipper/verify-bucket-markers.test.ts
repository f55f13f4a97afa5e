/**
 * `promship verify` over Thanos' marker files. After the compactor merges promship's 2h blocks,
 * the sources stay beside the compacted block with `deletion-mark.json` for the delete delay:
 * verify must leave them out of overlaps and gaps, as Thanos does, list them as marked for
 * deletion (not as problems), and never call a marker file corruption. Markers Thanos could not
 * read are problems, and such a block counts as unmarked, as it does for Thanos.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { Bucket } from '../../src/bucket/bucket.ts';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { renderVerify } from '../../src/render-reports.ts';
import { verifyBucket, type VerifyReport } from '../../src/shipper/verify-bucket.ts';
import { BlockWriter } from '../../src/tsdb/block-writer.ts';
import { serializeBlockMeta, type BlockMeta } from '../../src/tsdb/meta.ts';
import { tempDir } from '../helpers/tmp.ts';
import { BLOCK_START, TWO_HOURS, sortedLabels, xorChunks } from '../helpers/tsdb-fixtures.ts';

const LABELS = { cluster_id: 'c1' };
const NOW_S = Math.floor(Date.now() / 1000);

/** A real block of `[start, end)` written straight into the file bucket's directory. */
async function writeBlock(bucketDir: string, start: number, end: number): Promise<string> {
  const w = await BlockWriter.open({
    parentDir: bucketDir,
    minTime: start,
    maxTime: end,
    thanosLabels: LABELS,
    durable: false,
  });
  for (let s = 0; s < 3; s++) {
    const samples = [];
    for (let ts = start; ts < end; ts += 60_000) samples.push({ t: ts, v: s * 1000 + (ts - start) / 60_000 });
    await w.addSeries(sortedLabels({ __name__: 'up', instance: String(s) }), xorChunks(samples));
  }
  return (await w.finish())!.ulid;
}

/**
 * Three shipped 2h blocks and what the compactor leaves after merging them: a level-2 block over
 * the 6h with the three as its sources (a real block, meta.json rewritten as the compactor's), and
 * a deletion mark on each source.
 */
async function compactedBucket(t: {
  teardown(fn: () => unknown): void;
}): Promise<{ dir: string; bucket: FileBucket; sources: string[]; compacted: string }> {
  const dir = join(await tempDir(t), 'bucket');
  const sources: string[] = [];
  for (let i = 0; i < 3; i++)
    sources.push(await writeBlock(dir, BLOCK_START + i * TWO_HOURS, BLOCK_START + (i + 1) * TWO_HOURS));
  const compacted = await writeBlock(dir, BLOCK_START, BLOCK_START + 3 * TWO_HOURS);
  const bucket = new FileBucket(dir);
  const meta = JSON.parse(Buffer.from((await bucket.get(`${compacted}/meta.json`))!).toString('utf8')) as BlockMeta;
  meta.compaction = { level: 2, sources };
  meta.thanos.source = 'compactor';
  await bucket.put(`${compacted}/meta.json`, serializeBlockMeta(meta));
  for (const id of sources) await bucket.put(`${id}/deletion-mark.json`, deletionMark(id));
  return { dir, bucket, sources, compacted };
}

function deletionMark(id: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ id, version: 1, details: 'source of compacted block', deletion_time: NOW_S, ...extra });
}

function verify(bucket: Bucket, dir: string): Promise<VerifyReport> {
  return verifyBucket(bucket, { labels: LABELS, scratchDir: join(dir, '..', 'scratch') });
}

const block = (r: VerifyReport, ulid: string) => r.blocks.find((b) => b.ulid === ulid)!;

t.test('sources marked for deletion beside their compacted block: no overlap, no problem', async (t) => {
  const { dir, bucket, sources, compacted } = await compactedBucket(t);
  // A marked block is on its way out: it is not downloaded, so damage in it is not reported.
  await rm(join(dir, sources[1]!, 'index'));
  const gets: string[] = [];
  const inner: Bucket = bucket;
  const counting: Bucket = Object.assign(Object.create(inner) as Bucket, {
    get(key: string, opts?: { signal?: AbortSignal }) {
      gets.push(key);
      return inner.get(key, opts);
    },
    download(key: string, path: string, opts?: { signal?: AbortSignal }) {
      gets.push(key);
      return inner.download(key, path, opts);
    },
  });

  const r = await verify(counting, dir);
  t.same(r.overlaps, [], 'the marked sources overlap nothing');
  t.same(r.gaps, [], 'and the compacted block leaves no gap');
  t.same(
    r.blocks.map((b) => [b.ulid, b.problems]).sort(),
    [...sources, compacted].map((id) => [id, []]).sort(),
    'no block has a problem (deletion-mark.json is no unexpected file)',
  );
  t.ok(r.ok, 'verify passes');
  for (const id of sources) {
    t.equal(block(r, id).markedForDeletion, true, `${id} is marked for deletion`);
    t.same(block(r, id).markers, [{ file: 'deletion-mark.json', time: NOW_S, details: 'source of compacted block' }]);
    t.notOk(
      gets.some((k) => k.startsWith(`${id}/chunks/`)),
      `${id}'s chunks are not downloaded`,
    );
  }
  t.equal(block(r, compacted).markedForDeletion, false);
  t.match(block(r, compacted), { compactionLevel: 2, source: 'compactor', markers: [] });
  t.ok(
    gets.some((k) => k.startsWith(`${compacted}/chunks/`)),
    'the compacted block is checked',
  );

  const human = renderVerify(r);
  t.match(human, /blocks of \{"cluster_id":"c1"\}: 4 \(3 marked for deletion/);
  for (const id of sources)
    t.match(
      human,
      new RegExp(`${id} .* 1 +sidecar .*marked for deletion \\d{4}-\\d\\d-\\d\\dT.* \\(source of compacted block\\)`),
    );
  t.match(human, new RegExp(`${compacted} .* 2 +compactor .* ok$`, 'm'));
  t.notMatch(human, /OVERLAP|BAD|^gap:/m);
  t.match(human, /verify: OK/);
});

t.test('a window only blocks marked for deletion cover is a gap', async (t) => {
  const { dir, bucket, compacted } = await compactedBucket(t);
  const later = await writeBlock(dir, BLOCK_START + 4 * TWO_HOURS, BLOCK_START + 5 * TWO_HOURS);
  const retired = await writeBlock(dir, BLOCK_START + 3 * TWO_HOURS, BLOCK_START + 4 * TWO_HOURS);
  await bucket.put(`${retired}/deletion-mark.json`, deletionMark(retired, { details: 'retention' }));
  const r = await verify(bucket, dir);
  t.same(r.gaps, [{ start: BLOCK_START + 3 * TWO_HOURS, end: BLOCK_START + 4 * TWO_HOURS }], 'its data is going away');
  t.same(r.overlaps, []);
  t.ok(r.ok);
  t.equal(block(r, retired).markedForDeletion, true);
  t.same([block(r, compacted).problems, block(r, later).problems], [[], []]);
});

t.test(
  'no-compact and no-downsample marks: valid files of a block that stays, checked and overlap-checked',
  async (t) => {
    const { dir, bucket, sources, compacted } = await compactedBucket(t);
    await bucket.put(
      `${compacted}/no-compact-mark.json`,
      JSON.stringify({
        id: compacted,
        version: 1,
        details: 'too big',
        no_compact_time: NOW_S,
        reason: 'index-size-exceeding',
      }),
    );
    await bucket.put(
      `${compacted}/no-downsample-mark.json`,
      JSON.stringify({ id: compacted, version: 1, no_downsample_time: NOW_S, reason: 'manual' }),
    );
    let r = await verify(bucket, dir);
    t.same(block(r, compacted).problems, [], 'the marker files are not corruption');
    t.same(block(r, compacted).markers, [
      { file: 'no-compact-mark.json', time: NOW_S, reason: 'index-size-exceeding', details: 'too big' },
      { file: 'no-downsample-mark.json', time: NOW_S, reason: 'manual' },
    ]);
    t.equal(block(r, compacted).markedForDeletion, false);
    t.ok(r.ok);
    t.match(
      renderVerify(r),
      new RegExp(
        `${compacted} .* ok; no-compact-mark \\S+ \\(index-size-exceeding\\); no-downsample-mark \\S+ \\(manual\\)`,
      ),
    );

    // Still a live block: without its sources' deletion marks, they overlap it.
    await bucket.delete(`${sources[0]}/deletion-mark.json`);
    r = await verify(bucket, dir);
    t.same(
      r.overlaps.map((o) => [o.a, o.b].sort()),
      [[sources[0]!, compacted].sort()],
      'the unmarked source overlaps the compacted block',
    );
    t.notOk(r.ok);

    // Any other file in a block directory is still reported.
    await bucket.put(`${compacted}/notes.json`, '{}');
    r = await verify(bucket, dir);
    t.match(block(r, compacted).problems.join(' '), /notes\.json: unexpected file in the block directory/);
  },
);

t.test('a marker Thanos cannot read is a problem, and the block counts as unmarked', async (t) => {
  const { dir, bucket, sources, compacted } = await compactedBucket(t);
  const [torn, versioned, badId] = sources as [string, string, string];
  await bucket.put(`${torn}/deletion-mark.json`, deletionMark(torn).slice(0, 20));
  await bucket.put(`${versioned}/deletion-mark.json`, deletionMark(versioned, { version: 2 }));
  await bucket.put(`${badId}/deletion-mark.json`, deletionMark('block-1'));
  await bucket.put(
    `${compacted}/no-compact-mark.json`,
    JSON.stringify({ id: compacted, version: 1, no_compact_time: 'yesterday', reason: 'manual' }),
  );
  const r = await verify(bucket, dir);
  t.match(
    block(r, torn).problems.join(' '),
    /deletion-mark\.json is not valid JSON .*Thanos cannot use this marker.*thanos tools bucket mark --id=\w+ --marker=deletion-mark\.json --remove/,
  );
  t.match(block(r, versioned).problems.join(' '), /deletion-mark\.json has version 2; Thanos only reads version 1/);
  t.match(block(r, badId).problems.join(' '), /deletion-mark\.json has an id that is not a ULID: "block-1"/);
  t.match(
    block(r, compacted).problems.join(' '),
    /no-compact-mark\.json has a no_compact_time that is not an integer: "yesterday"/,
  );
  for (const b of r.blocks) {
    t.equal(b.markedForDeletion, false, `${b.ulid} is not marked`);
    t.notMatch(b.problems.join(' '), /unexpected file/, `${b.ulid}: no marker is called an unexpected file`);
  }
  t.same(
    r.overlaps.map((o) => [o.a, o.b].sort()),
    sources.map((s) => [s, compacted].sort()),
    'each source overlaps the compacted block',
  );
  t.notOk(r.ok);
});

t.test('a block whose meta.json cannot be read is a problem, not a block skipped in silence', async (t) => {
  const dir = join(await tempDir(t), 'bucket');
  const good = await writeBlock(dir, BLOCK_START, BLOCK_START + TWO_HOURS);
  const broken = await writeBlock(dir, BLOCK_START + TWO_HOURS, BLOCK_START + 2 * TWO_HOURS);
  const bucket = new FileBucket(dir);
  await bucket.put(`${broken}/meta.json`, '{"ulid": "cut off by a fault');
  const report = await verifyBucket(bucket, { labels: LABELS, scratchDir: await tempDir(t) });
  t.same(
    report.blocks.map((b) => b.ulid),
    [good],
    'the readable block is checked',
  );
  t.same(
    report.unreadableMeta.map((u) => u.ulid),
    [broken],
    'the other is reported as unreadable',
  );
  t.equal(report.ok, false, 'and the bucket is not OK');
  t.match(renderVerify(report), new RegExp(`UNREADABLE: ${broken}/meta.json .*\\nverify: PROBLEMS FOUND\\n$`));
});
