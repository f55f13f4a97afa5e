/**
 * What the upload-check tests of the stores share: the ways a stand-in store damages an upload
 * (kept short, kept altered) with the code each must fail with, sending a damaged upload through
 * each way of writing, and reading a request's body.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Bucket } from '../../src/bucket/bucket.ts';
import type { ErrorCode } from '../../src/error-codes.ts';

export const DAMAGES: readonly (readonly [what: string, alter: (d: Buffer) => Buffer, code: ErrorCode])[] = [
  ['kept short', (d) => d.subarray(0, d.length - 1), 'PROMSHIP_BUCKET_SIZE_MISMATCH'],
  ['kept altered', (d) => Buffer.from(d.map((x, i) => (i === 0 ? x ^ 1 : x))), 'PROMSHIP_BUCKET_CHECKSUM_MISMATCH'],
];

export function requestBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/**
 * Writes through `put`, `putIfAbsent` and `uploadFile` (a 1,000-byte file in `dir`), arming the
 * stand-in with `damageNext` before each, and returns what each call threw (undefined if none).
 * `guard` may bound each call, for an SDK that could hang.
 */
export async function damagedUploadErrors(
  bucket: Bucket,
  dir: string,
  damageNext: () => void,
  guard: (call: Promise<unknown>, name: string) => Promise<unknown> = (call) => call,
): Promise<[name: string, err: unknown][]> {
  const file = join(dir, 'index');
  await writeFile(file, randomBytes(1000));
  const out: [string, unknown][] = [];
  for (const [name, upload] of [
    ['put', () => bucket.put('ledger.json', 'x'.repeat(100))],
    ['putIfAbsent', () => bucket.putIfAbsent('claims/1.json', 'y'.repeat(100))],
    ['uploadFile', () => bucket.uploadFile('01X/index', file)],
  ] as const) {
    damageNext();
    out.push([
      name,
      await guard(upload(), name).then(
        () => undefined,
        (e: unknown) => e,
      ),
    ]);
  }
  return out;
}
