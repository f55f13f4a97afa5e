/**
 * The check before each meta.json, with window claims: it scans the bucket for a block of these
 * labels over the window that another writer published meanwhile (a Thanos sidecar, an agent
 * without claims), and leaves the window to it. It must find such a block, and it must not ask
 * for the meta.json of the run's own uploads: the block about to be published, the blocks the run
 * published, and the partial blocks of its failed windows, which do not overlap the window.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { ulid as newUlid } from 'ulidx';
import type { Bucket } from '../../src/bucket/bucket.ts';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import { Shipper } from '../../src/shipper/shipper.ts';
import { WindowClaims } from '../../src/shipper/window-claims.ts';
import { M, startSource, type Source } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

type Opts = { signal?: AbortSignal };

/** A file bucket whose calls `wrap` may change; counts every get by key. */
function bucketAt(dir: string, wrap: (inner: Bucket) => Partial<Bucket> = () => ({})) {
  const inner: Bucket = new FileBucket(join(dir, 'bucket'));
  const gets = new Map<string, number>();
  const counting: Bucket = Object.assign(Object.create(inner) as Bucket, {
    get(key: string, opts?: Opts) {
      gets.set(key, (gets.get(key) ?? 0) + 1);
      return inner.get(key, opts);
    },
  });
  const bucket: Bucket = Object.assign(Object.create(counting) as Bucket, wrap(counting));
  return { bucket, gets };
}

async function shipperOn(t: Test, source: Source, dir: string, bucket: Bucket): Promise<Shipper> {
  const client = new RemoteReadClient({ url: source.prometheus.url, timeoutMs: 30_000 });
  t.teardown(() => client.close());
  const clusterId = source.external.cluster_id!;
  return new Shipper({
    source: client,
    bucket,
    dataDir: join(dir, 'data'),
    clusterId,
    thanosLabels: source.external,
    stripLabels: Object.entries(source.external).sort(([a], [b]) => (a < b ? -1 : 1)),
    blockDurationMs: 30 * M,
    shipDelayMs: 0,
    maxBackfillMs: 2 * 86_400_000,
    logger: pino({ level: 'silent' }),
    claims: new WindowClaims({ bucket, clusterId, instanceId: 'one', staleAfterMs: 3_600_000, startedAt: Date.now() }),
  });
}

const blockDirs = async (dir: string): Promise<string[]> =>
  (await readdir(join(dir, 'bucket'))).filter((d) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(d));

t.test('a block of these labels published over a window meanwhile is found, and the window left to it', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir);
  let planted: { ulid: string; start: number; end: number } | undefined;
  const { bucket, gets } = bucketAt(dir, (inner) => ({
    async putIfAbsent(key: string, body: Uint8Array | string, opts?: Opts) {
      const created = await inner.putIfAbsent(key, body, opts);
      const m = /claims\/(\d+)-(\d+)\//.exec(key);

      // Once two blocks are published, the next window claimed gets another writer's block (its
      // meta.json, copied from a block of this run with the window's range, is all a scan reads).
      if (m && !planted && (await blockDirs(dir)).length >= 2) {
        const [someBlock] = await blockDirs(dir);
        const meta = JSON.parse(Buffer.from((await inner.get(`${someBlock}/meta.json`))!).toString('utf8')) as {
          ulid: string;
          minTime: number;
          maxTime: number;
        };
        planted = { ulid: newUlid(), start: Number(m[1]), end: Number(m[2]) };
        await inner.put(
          `${planted.ulid}/meta.json`,
          JSON.stringify({ ...meta, ulid: planted.ulid, minTime: planted.start, maxTime: planted.end }),
        );
      }
      return created;
    },
  }));
  const run = await (await shipperOn(t, source, dir, bucket)).runOnce();
  t.ok(planted, 'a block was planted over a window');
  t.equal(gets.get(`${planted!.ulid}/meta.json`), 1, "the check read the new block's meta.json");
  t.same(
    run.claimedElsewhere.map((c) => c.window.start),
    [planted!.start],
    'and left that window to it',
  );
  t.notOk(
    run.shipped.some((b) => b.window.start === planted!.start),
    'no block of this run covers it',
  );
  t.ok(run.shipped.length >= 3, `the other windows shipped (${run.shipped.length})`);
  const dirs = await blockDirs(dir);
  t.equal(dirs.length, run.shipped.length + 1, 'no partial block of the yielded window is left');
});

t.test('the check asks for no meta.json of the run, published or not', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir);
  // The second window's index upload fails: its window fails and leaves its chunks behind, a
  // partial block the checks before the later windows' meta.json must not keep asking about.
  let indexUploads = 0;
  const { bucket, gets } = bucketAt(dir, (inner) => ({
    uploadFile(key: string, path: string, opts?: Opts) {
      if (key.endsWith('/index') && ++indexUploads === 2) return Promise.reject(new Error('injected: upload failed'));
      return inner.uploadFile(key, path, opts);
    },
  }));
  const run = await (await shipperOn(t, source, dir, bucket)).runOnce();
  t.ok(run.shipped.length >= 3, `the run ships ${run.shipped.length} blocks, each checked before its meta.json`);
  t.equal(run.failed.length, 1, 'the window whose index upload failed');
  const shipped = new Set(run.shipped.map((b) => b.ulid));
  const left = (await blockDirs(dir)).filter((d) => !shipped.has(d));
  t.equal(left.length, 1, 'its partial block is left in the bucket');
  t.equal(gets.get(`${left[0]}/meta.json`) ?? 0, 0, "no check asks for the partial block's meta.json");
  t.same(
    [...gets.keys()].filter((k) => k.endsWith('/meta.json')),
    [],
    'no meta.json is downloaded at all',
  );
});
