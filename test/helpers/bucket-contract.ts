/**
 * The behaviour every `Bucket` implementation must show, as reusable tap subtests. The factory
 * gets the subtest (for teardown) and must return an EMPTY bucket each time (a fresh prefix or
 * directory), because listings are compared exactly.
 *
 * Truth comes from outside the code under test: bytes we generated, their sha256, and key order
 * computed with Buffer.compare on UTF-8 (what S3 and Thanos use).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { TAP } from 'tap';
import type { Bucket } from '../../src/bucket/bucket.ts';
import { tempDir } from './tmp.ts';

/** A tap test object, as tap passes it to a subtest callback. */
export type ContractTest = Parameters<Parameters<TAP['test']>[0]>[0];

export interface BucketContractOptions {
  /** Keys created to cross the 1000-keys-per-page boundary of S3 listings. */
  manyKeys?: number;
  /** Size of the large upload (multipart on S3). */
  largeFileBytes?: number;
  /**
   * Whether the store lists a "directory" that holds only deeper directories (`d/` for `d/e/f`).
   * s3rver 3.7.1 does not (its walker prunes them); real S3 and filesystems do. When false, the
   * listing check adds a direct child so it still checks everything else.
   */
  listsDeepOnlyDirectories?: boolean;
}

export type BucketFactory = (t: ContractTest) => Promise<Bucket>;

function utf8Order(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function fresh(t: ContractTest, make: BucketFactory): Promise<Bucket> {
  const bucket = await make(t);
  t.teardown(() => bucket.close());
  return bucket;
}

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

/** Registers the contract's subtests on `t`. */
export async function bucketContract(
  t: ContractTest,
  make: BucketFactory,
  opts: BucketContractOptions = {},
): Promise<void> {
  const manyKeys = opts.manyKeys ?? 1005;
  const largeFileBytes = opts.largeFileBytes ?? 25 * 1024 * 1024 + 12_345;

  await t.test('put, get and stat round-trip bytes exactly', async (t) => {
    const b = await fresh(t, make);
    const binary = randomBytes(70_001);
    await b.put('blk/meta.json', '{"ulid":"x","ü":"☃"}');
    await b.put('blk/bin', binary);
    await b.put('blk/empty', new Uint8Array(0));

    const text = await b.get('blk/meta.json');
    t.equal(Buffer.from(text ?? []).toString('utf8'), '{"ulid":"x","ü":"☃"}');
    t.equal(sha256((await b.get('blk/bin')) ?? new Uint8Array(1)), sha256(binary));
    const empty = await b.get('blk/empty');
    t.ok(empty !== null && empty.byteLength === 0, 'an empty object exists and is empty');

    const info = await b.stat('blk/bin');
    t.equal(info?.key, 'blk/bin');
    t.equal(info?.size, binary.byteLength);
    t.equal((await b.stat('blk/meta.json'))?.size, Buffer.byteLength('{"ulid":"x","ü":"☃"}'));
    t.equal((await b.stat('blk/empty'))?.size, 0);

    await b.put('blk/meta.json', 'second version');
    t.equal(Buffer.from((await b.get('blk/meta.json')) ?? []).toString('utf8'), 'second version');
  });

  await t.test('missing objects: get and stat give null, delete is a no-op', async (t) => {
    const b = await fresh(t, make);
    t.equal(await b.get('nope/meta.json'), null);
    t.equal(await b.stat('nope/meta.json'), null);
    await b.delete('nope/meta.json');
    await b.put('gone', 'x');
    await b.delete('gone');
    t.equal(await b.get('gone'), null);
    t.equal(await b.stat('gone'), null);
    t.same(await b.listObjects(''), []);
  });

  // A block directory whose objects are all deleted (a partial upload cleared) must not stay
  // listed: every bucket scan would take it for a partial block again.
  await t.test('deleting the last object below a prefix leaves nothing listed there', async (t) => {
    const b = await fresh(t, make);
    await b.put('01A/chunks/000001', 'x');
    await b.put('01A/index', 'y');
    await b.put('keep', 'z');
    await b.delete('01A/chunks/000001');
    t.same(await b.listChildren('01A/'), ['01A/index']);
    await b.delete('01A/index');
    t.same(await b.listChildren(''), ['keep']);
    t.same(
      (await b.listObjects('')).map((o) => o.key),
      ['keep'],
      'nor among the objects',
    );
  });

  await t.test('listChildren returns immediate children, directories with a trailing slash', async (t) => {
    const b = await fresh(t, make);
    const keys = ['a/1', 'a/2', 'a/b/3', 'a-x', 'c', 'd/e/f', 'z-ü/x'];
    if (opts.listsDeepOnlyDirectories === false) keys.push('d/direct');
    for (const k of keys) await b.put(k, k);
    t.same(await b.listChildren(''), ['a-x', 'a/', 'c', 'd/', 'z-ü/'].sort(utf8Order));
    t.same(await b.listChildren('a/'), ['a/1', 'a/2', 'a/b/'].sort(utf8Order));
    t.same(await b.listChildren('d/e/'), ['d/e/f']);
    t.same(await b.listChildren('a/b/'), ['a/b/3']);
    t.same(await b.listChildren('nope/'), []);
  });

  await t.test('listObjects lists every object below a prefix with its size', async (t) => {
    const b = await fresh(t, make);
    const objects: Record<string, number> = { 'x/1': 1, 'x/y/22': 22, 'x/y/z/333': 333, xa: 4, 'w/5': 5 };
    for (const [k, n] of Object.entries(objects)) await b.put(k, randomBytes(n));
    const all = await b.listObjects('');
    t.same(
      all.map((o) => [o.key, o.size]),
      Object.entries(objects).sort(([a], [c]) => utf8Order(a, c)),
    );
    const under = await b.listObjects('x/');
    t.same(
      under.map((o) => o.key),
      ['x/1', 'x/y/22', 'x/y/z/333'],
    );
  });

  await t.test(`listings page past ${manyKeys} keys`, async (t) => {
    const b = await fresh(t, make);
    const keys = Array.from({ length: manyKeys }, (_, i) => `many/${String(i).padStart(5, '0')}`);
    await inParallel(keys, 16, (k) => b.put(k, k));
    await b.put('many-other', 'x');
    const listed = await b.listObjects('many/');
    t.equal(listed.length, manyKeys);
    t.same(
      listed.map((o) => o.key),
      keys,
    );
    const children = await b.listChildren('many/');
    t.equal(children.length, manyKeys);
    t.same(children, keys);
    t.same(await b.listChildren(''), ['many-other', 'many/']);
  });

  await t.test(`uploadFile streams a ${largeFileBytes}-byte file that reads back identical`, async (t) => {
    const b = await fresh(t, make);
    const dir = await tempDir(t);
    const file = join(dir, 'chunk-000001');
    const hash = createHash('sha256');
    const out = createWriteStream(file);
    for (let left = largeFileBytes; left > 0;) {
      const piece = randomBytes(Math.min(left, 1024 * 1024));
      hash.update(piece);
      out.write(piece);
      left -= piece.byteLength;
    }
    out.end();
    await finished(out);
    await b.uploadFile('01HX/chunks/000001', file);
    const back = await b.get('01HX/chunks/000001');
    t.equal(back?.byteLength, largeFileBytes);
    const digest = hash.digest('hex');
    t.equal(sha256(back ?? new Uint8Array(0)), digest, 'sha256 matches');
    t.equal((await b.stat('01HX/chunks/000001'))?.size, largeFileBytes);
    const copy = join(dir, 'downloaded');
    t.equal(await b.download('01HX/chunks/000001', copy), true, 'download finds it');
    t.equal(sha256(await readFile(copy)), digest, 'and streams the same bytes to a file');
  });

  await t.test(
    'download of a missing object is false and writes nothing; of an empty one, an empty file',
    async (t) => {
      const b = await fresh(t, make);
      const dir = await tempDir(t);
      t.equal(await b.download('nope/chunks/000001', join(dir, 'missing')), false);
      await t.rejects(readFile(join(dir, 'missing')), { code: 'ENOENT' });
      await b.put('blk/empty', new Uint8Array(0));
      t.equal(await b.download('blk/empty', join(dir, 'empty')), true);
      t.equal((await readFile(join(dir, 'empty'))).byteLength, 0);
    },
  );

  await t.test('uploadFile handles small and empty files', async (t) => {
    const b = await fresh(t, make);
    const dir = await tempDir(t);
    const small = randomBytes(4097);
    await writeFile(join(dir, 'small'), small);
    await writeFile(join(dir, 'empty'), new Uint8Array(0));
    await b.uploadFile('blk/index', join(dir, 'small'));
    await b.uploadFile('blk/tombstones', join(dir, 'empty'));
    t.equal(sha256((await b.get('blk/index')) ?? new Uint8Array(0)), sha256(small));
    t.equal((await b.get('blk/tombstones'))?.byteLength, 0);
    t.same(
      (await b.listObjects('blk/')).map((o) => [o.key, o.size]),
      [
        ['blk/index', 4097],
        ['blk/tombstones', 0],
      ],
    );
  });
}
