/**
 * A download's body into a local file, shared by the stores so that a failure of the local disk is
 * told apart from a failure of the store everywhere.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { BucketError } from '../errors.ts';

/**
 * Streams a downloaded body (through `through`, if given) into `filePath`. A failure of the local
 * file (full, not writable) becomes PROMSHIP_BUCKET_LOCAL_FILE, which no store retries: another
 * GET would not help. Returns only once the file is closed, so a retry that rewrites it never
 * meets a write of this try still landing.
 */
export async function writeDownload(
  body: NodeJS.ReadableStream,
  filePath: string,
  full: string,
  where: string,
  opts: { signal?: AbortSignal; through?: NodeJS.ReadWriteStream } = {},
): Promise<void> {
  const out = createWriteStream(filePath);
  // The stream that failed first is the one at fault: pipeline then destroys the others with its
  // error, and since Node 22 the file stream re-emits a cut body's error as its own.
  // Typed wide: set in the callbacks, which the checker cannot follow.
  let first = undefined as { local: Error } | 'source' | undefined;
  out.once('error', (err) => (first ??= { local: err }));
  body.once('error', () => (first ??= 'source'));
  opts.through?.once('error', () => (first ??= 'source'));
  const options: { signal?: AbortSignal } = opts.signal ? { signal: opts.signal } : {};
  try {
    if (opts.through === undefined) await pipeline(body, out, options);
    else await pipeline(body, opts.through, out, options);
  } catch (err) {
    if (!out.closed) await once(out, 'close');
    if (typeof first === 'object' && opts.signal?.aborted !== true) {
      const local = first.local;
      throw new BucketError(
        'PROMSHIP_BUCKET_LOCAL_FILE',
        `cannot write local file ${filePath} with "${full}" from ${where}: ${local.message}; ` +
          'check the space and permissions of its directory',
        { cause: local, key: full },
      );
    }
    throw err;
  }
}
