/**
 * Where promship's keys live inside a store: every object store nests them under the configured
 * prefix (`root`, without leading or trailing `/`) the same way, so the three stores share this.
 */
import { BucketError } from '../errors.ts';

/** `key` under `root`; a key promship built wrongly (empty, or with an edge `/`) is refused. */
export function objectKeyUnder(root: string, key: string, description: string): string {
  if (key.length === 0 || key.startsWith('/') || key.endsWith('/')) {
    throw new BucketError(
      'PROMSHIP_BUCKET_BAD_KEY',
      `invalid object key "${key}" for ${description}: keys must be non-empty and must ` +
        'not start or end with "/" (this is a promship bug; please report it)',
      { key },
    );
  }
  return root ? `${root}/${key}` : key;
}

/** A listing prefix (`''` or ending in `/`) under `root`. */
export function listPrefixUnder(root: string, prefix: string): string {
  const dir = prefix.length === 0 || prefix.endsWith('/') ? prefix : `${prefix}/`;
  return root ? `${root}/${dir}` : dir;
}

/** A full key from the store, relative to `root` again. */
export function relativeKeyUnder(root: string, full: string): string {
  return root ? full.slice(root.length + 1) : full;
}
