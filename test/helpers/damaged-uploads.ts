/**
 * What the upload-check tests of the stores share: the ways a stand-in store damages an upload
 * (kept short, kept altered) with the code each must fail with, and reading a request's body.
 */
import type { IncomingMessage } from 'node:http';
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
