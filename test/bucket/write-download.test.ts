/**
 * `writeDownload` tells a failure of the local file (no retry helps) from a body cut on the way
 * (the store's failure, which a store retries). Node 22's pipeline destroys the file stream with
 * the body's error, so the file stream reports the body's failure as its own.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import t from 'tap';
import { BucketError } from '../../src/errors.ts';
import { writeDownload } from '../../src/bucket/write-download.ts';
import { tempDir } from '../helpers/tmp.ts';

const dir = await tempDir(t);

/** A body that sends `head`, then fails as a reset connection does. */
function cutBody(head: string): Readable {
  const reset = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(head);
      } else setImmediate(() => this.destroy(reset));
    },
  });
}

void t.test('a body cut on the way is the store failure, not a local one', async (t) => {
  const err = await writeDownload(cutBody('part of it'), join(dir, 'cut'), 'k/ledger.json', 'test store').then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof Error, 'rejects');
  t.notOk(
    err instanceof BucketError && err.code === 'PROMSHIP_BUCKET_LOCAL_FILE',
    `not a local-file error: ${String(err)}`,
  );
  t.equal((err as NodeJS.ErrnoException).code, 'ECONNRESET', "the body's own error");
});

void t.test('a body cut behind a transform is still the store failure', async (t) => {
  const err = await writeDownload(cutBody('part of it'), join(dir, 'cut-through'), 'k/x', 'test store', {
    through: new PassThrough(),
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.equal((err as NodeJS.ErrnoException).code, 'ECONNRESET');
});

void t.test('a file that cannot be created is a local failure', async (t) => {
  // Below a regular file: ENOTDIR, for root too.
  const file = join(dir, 'plain');
  await writeFile(file, '');
  await t.rejects(writeDownload(Readable.from(['x']), join(file, 'f'), 'k/y', 'test store'), {
    code: 'PROMSHIP_BUCKET_LOCAL_FILE',
  });
});

void t.test('stopped from outside: the abort, not a local failure', async (t) => {
  const stop = new AbortController();
  const body = new Readable({ read() {} });
  body.push('part');
  const done = writeDownload(body, join(dir, 'stopped'), 'k/s', 'test store', { signal: stop.signal });
  setImmediate(() => stop.abort());
  const err = await done.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.equal((err as Error).name, 'AbortError', String(err));
});

void t.test('a whole body lands in the file', async (t) => {
  const file = join(dir, 'whole');
  await writeDownload(Readable.from(['a', 'b', 'c']), file, 'k/z', 'test store');
  t.equal(await readFile(file, 'utf8'), 'abc');
});
