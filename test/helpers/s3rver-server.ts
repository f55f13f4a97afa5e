/**
 * Child-process entry for s3rver. It runs apart from the test process because s3rver needs
 * `--openssl-legacy-provider` (its continuation tokens use a legacy cipher) and that flag must not
 * leak into the code under test. Usage:
 *   node --openssl-legacy-provider --import tsx s3rver-server.ts <dir> <port|0> <bucket>
 * Prints `LISTENING <port>` once ready; exits on SIGTERM or when its stdin closes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverCtor = new (opts: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

interface StoredObject {
  bucket: string;
  key: string;
  metadata: Record<string, string>;
  content: Buffer | Readable;
}
interface FilesystemStoreProto {
  getResourcePath(bucket: string, key: string, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, string | number>>;
  getObject(bucket: string, key: string, options?: { start?: number; end?: number }): Promise<unknown>;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
}

// s3rver is CommonJS without type declarations.
const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverCtor;
const FilesystemStore = require('s3rver/lib/stores/filesystem.js') as { prototype: FilesystemStoreProto };
interface S3ObjectCtor {
  new (
    bucket: string,
    key: string,
    content: Readable | null,
    metadata: Record<string, string | number>,
  ): { range?: { start: number; end: number } };
  readonly ALLOWED_METADATA: readonly string[];
}
const S3Object = require('s3rver/lib/models/object.js') as S3ObjectCtor;

/*
 * s3rver 3.7.1 answers a PUT as soon as its hashing stream has seen the body, before the object
 * file (opened with truncation) holds it: a HEAD right after a successful PUT can find 0 bytes,
 * which our upload check rightly calls a lost upload (seen as a flaky PROMSHIP_BUCKET_SIZE_MISMATCH
 * under CPU load, from one sequential writer). S3 itself makes a PUT atomic and visible in full
 * once answered, so the emulator is made to do the same: write a private file, then rename it
 * onto the object, before answering. Multipart completion goes through here too.
 */
FilesystemStore.prototype.putObject = async function putObject(this: FilesystemStoreProto, object: StoredObject) {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  await mkdir(dirname(objectPath), { recursive: true });
  const partial = `${objectPath}.${randomBytes(6).toString('hex')}.partial`;
  const md5 = createHash('md5');
  let size = 0;
  try {
    if (Buffer.isBuffer(object.content)) {
      md5.update(object.content);
      size = object.content.length;
      await pipeline([object.content], createWriteStream(partial));
    } else {
      const hashing = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          md5.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      await pipeline(object.content, hashing, createWriteStream(partial));
    }
    await rename(partial, objectPath);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  const digest = md5.digest('hex');
  await this.putMetadata(object.bucket, object.key, object.metadata, digest);
  return { size, md5: digest };
};

/*
 * The metadata and MD5 files beside an object are rewritten in place by s3rver (truncate, then
 * write): a GET reading them meanwhile fails to parse them (a 500) or takes an empty ETag. Written
 * to a private file and renamed, like the object.
 */
FilesystemStore.prototype.putMetadata = async function putMetadata(
  this: FilesystemStoreProto,
  bucketName: string,
  key: string,
  metadata: Record<string, string>,
  md5: string,
) {
  // The fields s3rver's own putMetadata keeps.
  const kept = Object.fromEntries(
    Object.entries(metadata).filter(([k]) => S3Object.ALLOWED_METADATA.includes(k) || k.startsWith('x-amz-meta-')),
  );
  const tag = randomBytes(6).toString('hex');
  const replace = async (resource: string, text: string): Promise<void> => {
    const path = this.getResourcePath(bucketName, key, resource);
    await writeFile(`${path}.${tag}.partial`, text);
    await rename(`${path}.${tag}.partial`, path);
  };
  if (md5) await replace('object.md5', md5);
  await replace('metadata.json', JSON.stringify(kept, null, 2));
};

/*
 * A GET must be atomic too. s3rver 3.7.1 takes an object's size from a `stat` of its path and
 * then opens the path again to stream it: a PUT renamed onto the object in between makes it send
 * the new file under the old length, cut short (the client sees the connection reset, as an agent
 * reading the ledger while another wrote it did) or, when the new file is longer, a prefix of it.
 * S3 serves one version whole, so the file is opened once and both its size and its bytes come
 * from that open file. (The ETag and content headers still come from the files beside it, which
 * may be another version's for a moment; nothing in promship reads them from a GET.)
 */
FilesystemStore.prototype.getObject = async function getObject(
  this: FilesystemStoreProto,
  bucket: string,
  key: string,
  options?: { start?: number; end?: number },
) {
  let handle: FileHandle;
  try {
    handle = await open(this.getResourcePath(bucket, key, 'object'), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let streaming = false;
  try {
    const stat = await handle.stat();
    const metadata = {
      ...(await this.getMetadata(bucket, key)),
      'content-length': stat.size,
      'last-modified': stat.mtime.toUTCString(),
    };
    // What s3rver's own getObject does with a range, on the opened file's size.
    const lastByte = Math.max(0, stat.size - 1);
    // (An `end` of 0 counts as none there, as it does here.)
    const end = options?.end !== undefined && options.end !== 0 ? options.end : Infinity;
    const ranged = options !== undefined && (options.start !== undefined || end !== Infinity);
    const range = { start: options?.start ?? 0, end: Math.min(end, lastByte) };
    let object;
    if (range.start < 0 || range.end < range.start) {
      object = new S3Object(bucket, key, null, metadata);
    } else {
      object = new S3Object(bucket, key, handle.createReadStream({ start: range.start, end: range.end }), metadata);
      streaming = true;
    }
    if (ranged) object.range = range;
    return object;
  } catch (err) {
    // The object was replaced by a PUT or deleted between the open and its metadata.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  } finally {
    if (!streaming) await handle.close();
  }
};

const [directory, portText, bucket] = process.argv.slice(2);
if (directory === undefined || portText === undefined || bucket === undefined) {
  process.stderr.write('usage: s3rver-server.ts <dir> <port> <bucket>\n');
  process.exit(2);
}

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(portText),
  directory,
  silent: true,
  configureBuckets: [{ name: bucket }],
});
const address = await server.run();
process.stdout.write(`LISTENING ${address.port}\n`);

const shutdown = (): void => {
  void server.close().finally(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// stdin is a pipe from the test process: when that process dies without tearing down, the pipe
// closes and the server goes too instead of lingering as an orphan.
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
