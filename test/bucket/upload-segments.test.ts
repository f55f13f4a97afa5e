/**
 * `uploadSegments` runs two uploads at a time. When one fails, the others are told to stop and
 * waited for before the failure is thrown: the shipper then removes the block's files and
 * objects, and no upload may still be reading or landing behind it (a store that cannot cancel a
 * copy, like the file bucket, finishes it first).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { Bucket } from '../../src/bucket/bucket.ts';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { uploadSegments, type LocalBlockFile } from '../../src/bucket/upload-block.ts';
import { BucketError } from '../../src/errors.ts';
import { tempDir } from '../helpers/tmp.ts';
import { until } from '../helpers/until.ts';

const ULID = '01JD0000000000000000000000';

async function segments(dir: string, n: number): Promise<LocalBlockFile[]> {
  await mkdir(join(dir, 'chunks'), { recursive: true });
  const out: LocalBlockFile[] = [];
  for (let i = 1; i <= n; i++) {
    const name = String(i).padStart(6, '0');
    await writeFile(join(dir, 'chunks', name), Buffer.alloc(100, i));
    out.push({ relPath: `chunks/${name}`, path: join(dir, 'chunks', name) });
  }
  return out;
}

/** A file bucket whose uploads of chosen keys fail at once, or take `slowMs` and ignore the signal. */
function bucketWith(
  files: FileBucket,
  opts: { failing: string; slow: string; slowMs: number },
  events: string[],
): Bucket {
  return Object.assign(Object.create(files) as Bucket, {
    async uploadFile(key: string, path: string, o?: { signal?: AbortSignal }) {
      o?.signal?.throwIfAborted();
      events.push(`start ${key}`);
      if (key.endsWith(opts.failing)) throw new BucketError('PROMSHIP_BUCKET_UNREACHABLE', `reset on ${key}`, { key });
      if (key.endsWith(opts.slow)) await new Promise((r) => setTimeout(r, opts.slowMs));
      await files.uploadFile(key, path);
      events.push(`landed ${key}`);
    },
  });
}

t.test('a failed upload waits for the one beside it, starts no other, and throws its own error', async (t) => {
  const dir = await tempDir(t);
  const files = new FileBucket(join(dir, 'bucket'));
  const events: string[] = [];
  const bucket = bucketWith(files, { failing: '000002', slow: '000001', slowMs: 300 }, events);
  await t.rejects(uploadSegments(bucket, ULID, await segments(dir, 4)), {
    code: 'PROMSHIP_BUCKET_UNREACHABLE',
    message: /000002/,
  });
  events.push('rejected');
  t.same(events, [
    `start ${ULID}/chunks/000001`,
    `start ${ULID}/chunks/000002`,
    `landed ${ULID}/chunks/000001`,
    'rejected',
  ]);
});

t.test('stopped from outside: the upload under way ends before the call does, and no other starts', async (t) => {
  const dir = await tempDir(t);
  const files = new FileBucket(join(dir, 'bucket'));
  const events: string[] = [];
  // Each upload waits for the test to let it land, and ignores the signal, as a file copy does.
  const gates = new Map<string, () => void>();
  const started = new Map<string, Promise<void>>();
  const onStart = new Map<string, () => void>();
  for (let i = 1; i <= 6; i++) {
    const key = `${ULID}/chunks/00000${i}`;
    started.set(key, new Promise((resolve) => onStart.set(key, resolve)));
  }
  const bucket = Object.assign(Object.create(files) as Bucket, {
    async uploadFile(key: string, path: string, o?: { signal?: AbortSignal }) {
      o?.signal?.throwIfAborted();
      events.push(`start ${key}`);
      await new Promise<void>((resolve) => {
        gates.set(key, resolve);
        onStart.get(key)!();
      });
      await files.uploadFile(key, path);
      events.push(`landed ${key}`);
    },
  });
  const stop = new AbortController();
  let settled = false;
  const call = uploadSegments(bucket, ULID, await segments(dir, 6), { signal: stop.signal }).finally(() => {
    settled = true;
  });
  const key = (i: number): string => `${ULID}/chunks/00000${i}`;
  await started.get(key(2));
  gates.get(key(1))!();
  await started.get(key(3));
  stop.abort();
  gates.get(key(2))!();
  // The worker that uploaded 000002 finds the signal aborted before 000004; 000003 is still going.
  await until('000002 to land', async () => (events.includes(`landed ${key(2)}`) ? true : undefined), 10_000, 5);
  await new Promise((r) => setTimeout(r, 20));
  t.equal(settled, false, 'not settled while 000003 is still being uploaded');
  gates.get(key(3))!();
  await t.rejects(call, { name: 'AbortError' });
  t.same(events, [
    `start ${key(1)}`,
    `start ${key(2)}`,
    `landed ${key(1)}`,
    `start ${key(3)}`,
    `landed ${key(2)}`,
    `landed ${key(3)}`,
  ]);
});
