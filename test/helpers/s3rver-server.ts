/**
 * Child-process entry for s3rver. It runs apart from the test process because s3rver needs
 * `--openssl-legacy-provider` (its continuation tokens use a legacy cipher) and that flag must not
 * leak into the code under test. Usage:
 *   node --openssl-legacy-provider --import tsx s3rver-server.ts <dir> <port|0> <bucket>
 * Prints `LISTENING <port>` once ready; exits on SIGTERM or when its stdin closes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
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
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
}

// s3rver is CommonJS without type declarations.
const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverCtor;
const FilesystemStore = require('s3rver/lib/stores/filesystem.js') as { prototype: FilesystemStoreProto };

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
