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

t.test('stopped from outside: the uploads under way end before the call does, and no other starts', async (t) => {
  const dir = await tempDir(t);
  const files = new FileBucket(join(dir, 'bucket'));
  const events: string[] = [];
  // Every upload takes 80 ms and ignores the signal, as a file copy does.
  const bucket = bucketWith(files, { failing: 'none', slow: '', slowMs: 80 }, events);
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 120);
  await t.rejects(uploadSegments(bucket, ULID, await segments(dir, 6), { signal: stop.signal }), {
    name: 'AbortError',
  });
  events.push('rejected');
  // The two workers' timers end together, so only the set of events is certain, and that the
  // call ended last.
  t.equal(events.at(-1), 'rejected', 'the call ended after every upload under way');
  t.same(
    events.slice(0, -1).sort(),
    [1, 2, 3, 4].flatMap((i) => [`landed ${ULID}/chunks/00000${i}`, `start ${ULID}/chunks/00000${i}`]).sort(),
    'the two under way when stopped landed; the last two never started',
  );
});
