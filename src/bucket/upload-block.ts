/**
 * Uploads one local block the way Thanos requires: every chunk segment, then the index, then a
 * check that each object in the bucket has exactly the local size, and only then `meta.json`.
 * Without `meta.json` Thanos treats the directory as a partial upload and never reads it, so a
 * crash or a failed check at any point leaves nothing a reader could trust.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BucketError } from '../errors.ts';
import type { Bucket } from './bucket.ts';

export interface LocalBlockFiles {
  ulid: string;
  dir: string;
  /** Every file except `meta.json`, with its size on disk. */
  files: readonly { relPath: string; sizeBytes: number }[];
}

export interface UploadOptions {
  signal?: AbortSignal;
  /** Parallel uploads of chunk segments. */
  concurrency?: number;
  /**
   * Files (`relPath`s) already put from these same bytes by `uploadSegments` while the block was
   * being finished: not uploaded again, but checked like the others before `meta.json`.
   */
  uploaded?: ReadonlySet<string>;
  /**
   * Called once everything but `meta.json` is in the bucket and verified, right before it is
   * published; throwing there leaves the block unpublished (the caller removes its objects).
   */
  beforePublish?: () => Promise<void>;
}

export interface UploadResult {
  bytes: number;
  objects: number;
}

export async function uploadBlock(
  bucket: Bucket,
  block: LocalBlockFiles,
  opts: UploadOptions = {},
): Promise<UploadResult> {
  const files = block.files.filter((f) => f.relPath !== 'meta.json');
  const toPut = files
    .filter((f) => opts.uploaded?.has(f.relPath) !== true)
    .map((f) => ({ relPath: f.relPath, path: join(block.dir, ...f.relPath.split('/')) }));
  const key = (rel: string): string => objectKey(block.ulid, rel);

  await uploadSegments(
    bucket,
    block.ulid,
    toPut.filter((f) => f.relPath.startsWith('chunks/')),
    opts,
  );
  for (const f of toPut.filter((f) => !f.relPath.startsWith('chunks/'))) await put(bucket, block.ulid, f, opts.signal);

  for (const f of files) {
    opts.signal?.throwIfAborted();
    const info = await bucket.stat(key(f.relPath), { signal: opts.signal });
    if (!info || info.size !== f.sizeBytes) {
      throw new BucketError(
        'PROMSHIP_BUCKET_VERIFY_SIZE',
        `uploaded object ${key(f.relPath)} has ${info ? `${info.size} bytes` : 'vanished'} but the local file has ${f.sizeBytes}; the block was not published (no meta.json) and its window will be retried`,
        { key: key(f.relPath) },
      );
    }
  }

  opts.signal?.throwIfAborted();
  await opts.beforePublish?.();
  opts.signal?.throwIfAborted();
  const metaPath = join(block.dir, 'meta.json');
  try {
    await bucket.uploadFile(key('meta.json'), metaPath, { signal: opts.signal });
  } catch (err) {
    // The PUT may have landed with only its answer lost (a reset or timeout after the store
    // acted). The block is then published, and calling the window failed would leave the
    // shipped-blocks count and log short of what the bucket holds. Only the exact bytes count.
    if (opts.signal?.aborted || !(await landed(bucket, key('meta.json'), metaPath, opts.signal))) throw err;
  }
  const bytes = files.reduce((n, f) => n + f.sizeBytes, 0);
  return { bytes, objects: files.length + 1 };
}

/** Where a block's file goes in the bucket: `<ulid>/<relPath>`, as Thanos lays blocks out. */
function objectKey(ulid: string, relPath: string): string {
  return `${ulid}/${relPath}`;
}

/** A file of a block on local disk, for `<ulid>/<relPath>` in the bucket. */
export interface LocalBlockFile {
  relPath: string;
  path: string;
}

/**
 * Uploads chunk segments, in name order, `concurrency` (default 2) at a time. `uploadBlock` calls
 * it; the shipper also calls it while the block's index is still being built (chunks are final
 * first), then hands their names to `uploadBlock` as `uploaded`. Without `meta.json` these
 * objects are a partial upload, which no reader of the bucket opens.
 */
export async function uploadSegments(
  bucket: Bucket,
  ulid: string,
  segments: readonly LocalBlockFile[],
  opts: { signal?: AbortSignal | undefined; concurrency?: number | undefined } = {},
): Promise<void> {
  const ordered = [...segments].sort((a, b) => (a.relPath < b.relPath ? -1 : 1));
  await inParallel(ordered, opts.concurrency ?? 2, opts.signal, (f, signal) => put(bucket, ulid, f, signal));
}

async function put(bucket: Bucket, ulid: string, f: LocalBlockFile, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  await bucket.uploadFile(objectKey(ulid, f.relPath), f.path, { signal });
}

async function landed(
  bucket: Bucket,
  key: string,
  localPath: string,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  try {
    const [stored, local] = await Promise.all([bucket.get(key, { signal }), readFile(localPath)]);
    return (
      stored !== null && Buffer.compare(Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength), local) === 0
    );
  } catch {
    return false;
  }
}

/**
 * Runs `fn` over `items`, `limit` at a time. On the first failure no more items start, the others
 * running are told to stop through the signal, and it waits for them before it throws that first
 * failure: a caller that then removes the files or the objects must not have an upload still
 * reading or landing behind it.
 */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal | undefined,
  fn: (item: T, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const stop = new AbortController();
  const combined = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const item = items[next++]!;
      try {
        await fn(item, combined);
      } catch (err) {
        failure ??= { err };
        stop.abort();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.err;
}

/**
 * Removes every object of a block that has no `meta.json`, and aborts its unfinished multipart
 * uploads, before its upload is resumed under the same ULID, so nothing of the interrupted attempt
 * survives beside the new objects (and no orphaned parts stay stored and billed). Refuses to
 * touch a published block: those are never rewritten.
 */
export async function clearPartialBlock(
  bucket: Bucket,
  ulid: string,
  signal?: AbortSignal,
): Promise<{ objects: number; incompleteUploads: number }> {
  if (await bucket.stat(`${ulid}/meta.json`, { signal })) {
    throw new BucketError(
      'PROMSHIP_BUCKET_BLOCK_PUBLISHED',
      `block ${ulid} already has meta.json and must not be rewritten`,
      { key: `${ulid}/meta.json` },
    );
  }
  // Uploads first: one completing meanwhile would otherwise leave an object behind.
  const incompleteUploads = await bucket.abortIncompleteUploads(`${ulid}/`, { signal });
  const objects = await bucket.listObjects(`${ulid}/`, { signal });
  for (const o of objects) await bucket.delete(o.key, { signal });
  return { objects: objects.length, incompleteUploads };
}
