/**
 * The shipper's local state: each run of `promship run` is a new process, so the block metas it
 * learned from the bucket, or published itself, are kept in the data dir. A later run (a new
 * Shipper on the same data dir) must not download known metas again, nor those a scan read before
 * the store failed it, and a missing, damaged or tampered file must only cost requests, never
 * correctness. (What the check before each meta.json asks for: publish-check.int.test.ts.)
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { pino } from 'pino';
import type { Bucket } from '../../src/bucket/bucket.ts';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import { loadLocalState, saveLocalState } from '../../src/shipper/local-state.ts';
import { Shipper } from '../../src/shipper/shipper.ts';
import { M, startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('saved state reads back; a damaged or foreign file reads as none', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'state.json');
  t.equal(await loadLocalState(file), undefined, 'no file');
  await saveLocalState(file, { metas: [{ ulid: 'x' }], coveredReported: 3 });
  t.same(await loadLocalState(file), { metas: [{ ulid: 'x' }], coveredReported: 3 });
  // Unchanged since it was loaded: not written again (the sentinel stays); changed: written.
  const loaded = { metas: [{ ulid: 'x' }], coveredReported: 3 };
  await writeFile(file, 'sentinel');
  await saveLocalState(file, { metas: [{ ulid: 'x' }], coveredReported: 3 }, loaded);
  t.equal(await readFile(file, 'utf8'), 'sentinel', 'an unchanged state is not rewritten');
  await saveLocalState(file, { metas: [{ ulid: 'x' }], coveredReported: 4 }, loaded);
  t.same(await loadLocalState(file), { metas: [{ ulid: 'x' }], coveredReported: 4 }, 'a changed one is');
  await writeFile(file, '{"version":1,"metas":[');
  t.equal(await loadLocalState(file), undefined, 'truncated JSON');
  await writeFile(file, JSON.stringify({ version: 99, metas: [], coveredReported: 0 }));
  t.equal(await loadLocalState(file), undefined, 'another version');
});

/**
 * Counts the meta.json downloads a run makes; `failMetaGetAfter(n)` makes every meta.json download
 * after the next n fail, as a store failing part way through the scan would.
 */
function counting(bucket: Bucket): {
  bucket: Bucket;
  metaGets: () => number;
  reset(): void;
  failMetaGetAfter(n: number | undefined): void;
} {
  let gets = 0;
  let failAfter: number | undefined;
  const wrapped: Bucket = Object.assign(Object.create(bucket) as Bucket, {
    get(key: string, opts?: { signal?: AbortSignal }) {
      if (key.endsWith('/meta.json')) {
        if (failAfter !== undefined && gets >= failAfter) return Promise.reject(new Error('injected: store failed'));
        gets++;
      }
      return bucket.get(key, opts);
    },
  });
  return {
    bucket: wrapped,
    metaGets: () => gets,
    reset: () => (gets = 0),
    failMetaGetAfter: (n) => (failAfter = n),
  };
}

t.test('a new run on the same data dir reuses the metas; without the file it reads them again', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir);
  const bucketDir = join(dir, 'bucket');
  const dataDir = join(dir, 'data');
  const counted = counting(new FileBucket(bucketDir));
  const client = new RemoteReadClient({ url: source.prometheus.url, timeoutMs: 30_000 });
  t.teardown(() => client.close());
  const stripLabels = Object.entries(source.external).sort(([a], [b]) => (a < b ? -1 : 1));
  const newShipper = (): Shipper =>
    new Shipper({
      source: client,
      bucket: counted.bucket,
      dataDir,
      clusterId: source.external.cluster_id!,
      thanosLabels: source.external,
      stripLabels,
      blockDurationMs: 30 * M,
      shipDelayMs: 0,
      maxBackfillMs: 2 * 86_400_000,
      logger: pino({ level: 'silent' }),
    });

  const first = await newShipper().runOnce();
  t.ok(first.shipped.length >= 3, `the first run ships ${first.shipped.length} blocks`);
  const blocks = first.shipped.length;
  t.equal(counted.metaGets(), 0, 'the first run downloads no meta.json');

  // The second run in a new process knows the blocks the first one published without asking.
  counted.reset();
  const second = await newShipper().runOnce();
  t.equal(second.shipped.length, 0, 'nothing is shipped twice');
  t.equal(second.covered.length, blocks, 'every window is found covered');
  t.equal(counted.metaGets(), 0, 'no meta.json of a block the first run published is downloaded');

  // Blocks it did not publish itself (here: all of them, once the state is gone) are learned
  // from the bucket once, and a run after that downloads none of them.
  await rm(join(dataDir, 'shipper-state.json'));
  counted.reset();
  t.equal((await newShipper().runOnce()).covered.length, blocks);
  t.equal(counted.metaGets(), blocks, "each block's meta.json is downloaded once");
  counted.reset();
  const third = await newShipper().runOnce();
  t.equal(third.covered.length, blocks);
  t.equal(counted.metaGets(), 0, 'no meta.json downloaded again');

  // A tampered entry is not trusted: only that block's meta is downloaded again.
  const file = join(dataDir, 'shipper-state.json');
  const state = JSON.parse(await readFile(file, 'utf8')) as { metas: { minTime: unknown }[] };
  state.metas[0]!.minTime = 'not a time';
  await writeFile(file, JSON.stringify(state));
  counted.reset();
  t.equal((await newShipper().runOnce()).covered.length, blocks, 'all windows still covered');
  t.equal(counted.metaGets(), 1, 'the tampered entry alone is downloaded again');

  // Damaged or missing: the bucket is asked again, and the answer is the same.
  await writeFile(file, 'not json');
  counted.reset();
  t.equal((await newShipper().runOnce()).covered.length, blocks, 'a damaged file changes nothing but requests');
  t.equal(counted.metaGets(), blocks);
  await rm(file);
  counted.reset();
  const fresh = await newShipper().runOnce();
  t.equal(fresh.shipped.length, 0, 'still nothing shipped twice');
  t.equal(counted.metaGets(), blocks);

  // A scan the store fails part way keeps what it read: the next run (a new process) downloads
  // only the metas it has not seen, rather than the whole bucket's again.
  await rm(file);
  counted.reset();
  counted.failMetaGetAfter(2);
  await t.rejects(newShipper().runOnce(), /injected: store failed/, 'the run fails with the store');
  t.equal(counted.metaGets(), 2, 'two metas were read before the failure');
  counted.failMetaGetAfter(undefined);
  counted.reset();
  const after = await newShipper().runOnce();
  t.equal(after.covered.length, blocks, 'every window is still found covered');
  t.equal(after.shipped.length, 0, 'and none shipped twice');
  t.equal(counted.metaGets(), blocks - 2, 'only the metas not read before the failure are downloaded');
});
