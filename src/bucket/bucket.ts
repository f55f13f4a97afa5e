/**
 * The small object-store interface promship needs, in the spirit of Thanos' objstore.Bucket, so a
 * new store (GCS, Azure) is one new file. Keys are relative to the configured prefix and always
 * use `/`.
 */
export interface ObjectInfo {
  key: string;
  size: number;
  /** Store-reported checksum or ETag, when the store returns one. */
  etag?: string;
}

export interface Bucket {
  /** Where this bucket points, safe to log (never contains credentials). */
  readonly description: string;
  /** Uploads a local file (streamed; multipart where the store needs it). */
  uploadFile(key: string, filePath: string, opts?: { signal?: AbortSignal }): Promise<void>;
  /** Writes a small object from memory. */
  put(key: string, body: Uint8Array | string, opts?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Creates `key` only if no object exists there: `true` when this call created it, `false` when an
   * object was already there. A store that ignores the precondition (s3rver, fauxqs, the GCS emulator)
   * overwrites and returns `true`; callers that need exclusivity probe for that.
   */
  putIfAbsent(key: string, body: Uint8Array | string, opts?: { signal?: AbortSignal }): Promise<boolean>;
  /** The object's bytes, or `null` when it does not exist. For small objects (meta.json, the ledger). */
  get(key: string, opts?: { signal?: AbortSignal }): Promise<Uint8Array | null>;
  /**
   * Streams the object into a local file (created or replaced) without holding it in memory, for
   * objects as large as a chunk segment (512 MiB); `false` when the object does not exist.
   */
  download(key: string, filePath: string, opts?: { signal?: AbortSignal }): Promise<boolean>;
  /** Size (and checksum where available), or `null` when it does not exist. */
  stat(key: string, opts?: { signal?: AbortSignal }): Promise<ObjectInfo | null>;
  /**
   * Immediate children of `prefix` (which is `''` or ends in `/`), like Thanos' `Iter`: object
   * keys as they are, "directories" with a trailing `/`. Sorted.
   */
  listChildren(prefix: string, opts?: { signal?: AbortSignal }): Promise<string[]>;
  /** Every object below `prefix`, recursively, sorted by key. */
  listObjects(prefix: string, opts?: { signal?: AbortSignal }): Promise<ObjectInfo[]>;
  /** Deletes an object; deleting a missing object is not an error. */
  delete(key: string, opts?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Aborts every unfinished multipart upload whose key is below `prefix` (which ends in `/`) and
   * returns how many it aborted. A killed process or a store outage mid-upload leaves such an
   * upload behind: invisible to listings, but its parts are stored (and billed) until aborted.
   * A store that cannot list them (no ListMultipartUploads, or no permission for it) gives 0.
   */
  abortIncompleteUploads(prefix: string, opts?: { signal?: AbortSignal }): Promise<number>;
  /** Releases connections. */
  close(): Promise<void>;
}
