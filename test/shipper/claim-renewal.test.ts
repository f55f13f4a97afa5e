/**
 * A window claim of this instance whose ULID can no longer be built under gets a new generation
 * with a new ULID, so that the next attempt resumes that one:
 * - a claim too old to resume (6h): before, each attempt took a fresh ULID the claim never
 *   recorded, so the next attempt could not clear what the last one left, and partial uploads of
 *   a window that kept failing piled up in the bucket;
 * - a claim whose block was published under other external labels (the cluster's labels changed,
 *   so the window is due again for the new ones): before, the window failed with
 *   PROMSHIP_BUCKET_BLOCK_PUBLISHED on every attempt until that ULID was 6h old.
 */
import { join } from 'node:path';
import t from 'tap';
import type { Window } from '../../src/series.ts';
import { agent, blocksIn, counterSource, fileBucketWith, HOUR, overlappingPairs } from '../helpers/shipper-harness.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('a window that keeps failing past the resume age leaves no partial upload behind', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'bucket');
  const t0 = Math.floor(Date.now() / HOUR) * HOUR + 5 * 60_000;
  const window: Window = { start: t0 - 5 * 60_000 - HOUR, end: t0 - 5 * 60_000 };
  let failIndex = true;
  const bucket = fileBucketWith(root, (files) => ({
    uploadFile(key: string, path: string, opts?: { signal?: AbortSignal }) {
      if (failIndex && key.endsWith('/index')) return Promise.reject(new Error('injected: the index upload failed'));
      return files.uploadFile(key, path, opts);
    },
  }));
  let clock = t0;
  // Only `window` has data: the later hours the clock moves through are empty.
  const source = counterSource((w) => w.start !== window.start);
  const run = () =>
    agent({
      bucket,
      dataDir: join(dir, 'data'),
      instance: 'agent-a',
      blockDurationMs: HOUR,
      now: () => clock,
      source,
      maxBackfillMs: 24 * HOUR,
    }).runOnce({ ignoreBackoff: true });
  for (const hours of [0, 7, 8]) {
    clock = t0 + hours * HOUR;
    const summary = await run();
    t.equal(summary.failed.length, 1, `the attempt ${hours}h after the first fails (injected)`);
  }
  const before = await blocksIn(root);
  t.ok(before.partial.length > 0, `the failed attempts left partial uploads (${before.partial.length})`);
  failIndex = false;
  clock = t0 + 9 * HOUR;
  const summary = await run();
  t.equal(summary.shipped.length, 1, 'the window ships at last');
  const after = await blocksIn(root);
  t.same(after.partial, [], 'and nothing of the failed attempts is left');
  t.same(
    after.published.map((b) => [b.minTime, b.maxTime]),
    [[window.start, window.end]],
  );
});

t.test('after the external labels change, windows shipped under the old ones ship again under the new', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'bucket');
  const bucket = fileBucketWith(root);
  const t0 = Math.floor(Date.now() / HOUR) * HOUR + 5 * 60_000;
  const run = (now: number, labels: Record<string, string>) =>
    agent({
      bucket,
      dataDir: join(dir, 'data'),
      instance: 'agent-a',
      blockDurationMs: HOUR,
      now: () => now,
      labels,
      maxBackfillMs: 3 * HOUR,
    }).runOnce({ ignoreBackoff: true });
  const before = await run(t0, { cluster_id: 'c1' });
  t.equal(before.shipped.length, 3, 'three windows shipped under the old labels');
  const after = await run(t0 + 30 * 60_000, { cluster_id: 'c1', env: 'prod' });
  t.same(
    after.failed.map((f) => `${f.error.code}: ${f.error.message}`),
    [],
    'no window fails after the change',
  );
  t.equal(after.shipped.length, 3, 'the three windows ship under the new labels');
  const { published, partial } = await blocksIn(root);
  t.equal(published.length, 6, 'a block for each window and label set');
  t.same(overlappingPairs(published), [], 'none overlapping another of its labels');
  t.same(partial, []);
});
