/**
 * Where promship's keys live inside a store: every object store nests them under the configured
 * prefix (`root`, without leading or trailing `/`) the same way, so the three stores share this.
 */
import { BucketError } from '../errors.ts';

/** The configured prefix as a root: slashes at either end are ignored, `''` is the bucket's top. */
export function keyRoot(prefix: string | undefined): string {
  return (prefix ?? '').replace(/^\/+|\/+$/g, '');
}

/** Promship's keys (relative, `/`-separated) and the store's full keys under one root. */
export class ObjectKeys {
  constructor(
    readonly root: string,
    /** The bucket's safe description, for the error about a malformed key. */
    private readonly description: string,
  ) {}

  /** `key` under the root; a key promship built wrongly (empty, or with an edge `/`) is refused. */
  full(key: string): string {
    if (key.length === 0 || key.startsWith('/') || key.endsWith('/')) {
      throw new BucketError(
        'PROMSHIP_BUCKET_BAD_KEY',
        `invalid object key "${key}" for ${this.description}: keys must be non-empty and must ` +
          'not start or end with "/" (this is a promship bug; please report it)',
        { key },
      );
    }
    return this.root ? `${this.root}/${key}` : key;
  }

  /** A listing prefix (`''` or ending in `/`) under the root. */
  listPrefix(prefix: string): string {
    const dir = prefix.length === 0 || prefix.endsWith('/') ? prefix : `${prefix}/`;
    return this.root ? `${this.root}/${dir}` : dir;
  }

  /** A full key from the store, relative to the root again. */
  relative(full: string): string {
    return this.root ? full.slice(this.root.length + 1) : full;
  }
}
